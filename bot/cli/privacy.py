"""`purge`: delete finished practice sessions older than the retention period, once."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from bot.config import Settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    purge = sub.add_parser(
        "purge",
        help="delete finished sessions older than RETENTION_DAYS (transcripts and feedback)",
        description=(
            "Delete practice sessions that ended more than RETENTION_DAYS days ago, with their "
            "transcripts and feedback. Running sessions are never touched. The bot does this "
            "hourly by itself when RETENTION_DAYS is set; this command does it once (e.g. from "
            "cron)."
        ),
    )
    purge.add_argument(
        "--days", type=int, metavar="N", help="use N days instead of RETENTION_DAYS (N >= 1)"
    )
    purge.set_defaults(handler=run_purge)


def run_purge(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    days = settings.retention_days if args.days is None else args.days
    if args.days is not None and args.days < 1:
        print("error: --days must be 1 or more.", file=sys.stderr)
        return 2
    if days <= 0:
        print("RETENTION_DAYS is 0 (sessions are kept); nothing deleted. Use --days N.", file=out)
        return 0
    try:
        purged = asyncio.run(_purge(settings.database_url, days))
    except (ValueError, OSError) as exc:  # a malformed DATABASE_URL, or the server is down
        print(f"error: cannot purge the database: {exc}", file=sys.stderr)
        return 1
    print(f"Deleted {purged} finished session(s) older than {days} days.", file=out)
    return 0


async def _purge(database_url: str, days: int) -> int:
    from bot.practice.privacy import purge_expired
    from bot.storage import SqlPracticeStore, create_engine_for, upgrade_database

    await upgrade_database(database_url)
    engine = create_engine_for(database_url)
    try:
        return await purge_expired(SqlPracticeStore(engine), days)
    finally:
        await engine.dispose()
