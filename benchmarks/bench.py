"""`python -m benchmarks.bench`: the bot's own cost next to aiogram's echo floor.

Simulated trainees drive the real Dispatcher and the real aiogram HTTP client
against the loopback fake Bot API, with the loopback fake model server at a fixed
latency; see benchmarks/RESULTS.md for what each figure means. Run it from the
repository root. Timings drift on a shared machine, so every goal is a ratio
against the echo floor measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"


class BenchError(Exception):
    """A problem the user can fix (the message says how); shown without a traceback."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trainees",
        type=int,
        default=1000,
        metavar="N",
        help="trainees sending at once in the concurrency and throughput runs (default 1000)",
    )
    parser.add_argument(
        "--turns",
        type=int,
        default=300,
        metavar="N",
        help="sequential turns per subject in the overhead run (default 300)",
    )
    parser.add_argument(
        "--model-latency",
        type=float,
        default=1.0,
        metavar="S",
        help="the fake model's latency in the concurrency run, seconds (default 1.0)",
    )
    parser.add_argument(
        "--overhead-model-latency",
        type=float,
        default=0.02,
        metavar="S",
        help="the fake model's latency in the overhead run; subtracted per call (default 0.02)",
    )
    parser.add_argument(
        "--sessions",
        type=int,
        default=4,
        metavar="N",
        help="8-turn sessions with the LLM patient and judge for the model cost (default 4)",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="also run against PostgreSQL (postgresql+asyncpg://user@host/db); "
        "a throwaway database is created next to it and dropped afterwards",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        metavar="PATH",
        help="where to write the figures as JSON (default benchmarks/results/latest.json)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench",
        description="Measure the bot's per-turn overhead, concurrency, throughput and model "
        "cost against aiogram's bare echo handler, using the loopback fakes.",
    )
    add_arguments(parser)
    return parser


def check(args: argparse.Namespace) -> None:
    if args.trainees < 1 or args.turns < 1 or args.sessions < 1:
        raise BenchError("--trainees, --turns and --sessions must be at least 1")
    if not 0 <= args.model_latency <= 30 or not 0 <= args.overhead_model_latency <= 5:
        raise BenchError("--model-latency must be 0-30 s and --overhead-model-latency 0-5 s")
    if args.database_url and not args.database_url.startswith(("postgresql", "postgres")):
        raise BenchError(
            "--database-url takes a PostgreSQL URL, e.g. "
            "postgresql+asyncpg://postgres@127.0.0.1/postgres (SQLite is always measured)"
        )


_STARTED = time.monotonic()


def progress(message: str) -> None:
    print(f"{time.monotonic() - _STARTED:6.1f} s  {message}", file=sys.stderr, flush=True)


@asynccontextmanager
async def throwaway_postgres(url: str) -> AsyncIterator[str]:
    """A fresh database on the server of `url`, dropped afterwards."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.storage import async_url

    target = async_url(url)
    name = f"rupture_bench_{os.getpid()}_{int(time.time())}"
    admin = create_async_engine(target, isolation_level="AUTOCOMMIT", pool_size=1)
    try:
        try:
            async with admin.connect() as db:
                await db.execute(text(f'CREATE DATABASE "{name}"'))
        except (OSError, OperationalError, DBAPIError) as exc:
            host = f"{target.host or 'localhost'}:{target.port or 5432}"
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            raise BenchError(f"cannot use PostgreSQL at {host}: {reason}") from None
        try:
            yield target.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as db:
                await db.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.runs import run_database
    from benchmarks.servers import FakeServers

    report: dict[str, Any] = {
        "meta": {
            "when": time.strftime("%Y-%m-%d %H:%M"),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "command": " ".join(["python -m benchmarks.bench", *sys.argv[1:]]),
            "trainees": args.trainees,
            "turns": args.turns,
            "model_latency_s": args.model_latency,
            "overhead_model_latency_s": args.overhead_model_latency,
            "fakes": "separate process",
        },
        "databases": {},
    }
    with tempfile.TemporaryDirectory(prefix="rupture-bench-") as tmp:
        sqlite_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        progress("starting the fake Bot API and model server in a separate process…")
        async with FakeServers() as servers:
            progress("[sqlite]")
            sqlite = await run_database(servers, sqlite_url, args, progress, model_cost=True)
            report["model_cost"] = sqlite.pop("model_cost")
            report["databases"]["sqlite"] = sqlite
            if args.database_url:
                progress("[postgresql]")
                async with throwaway_postgres(args.database_url) as pg_url:
                    report["databases"]["postgresql"] = await run_database(
                        servers, pg_url, args, progress
                    )
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return execute(args)


def execute(args: argparse.Namespace) -> int:
    from benchmarks.report import cost_goals, database_goals, goals_json, render

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        check(args)
        report = asyncio.run(run(args))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return 130
    goals = [g for db, results in report["databases"].items() for g in database_goals(db, results)]
    goals += cost_goals(report["model_cost"])
    report["goals"] = goals_json(goals)
    path: Path = args.json
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, default=_plain) + "\n")
    except OSError as exc:
        print(f"error: cannot write {path}: {exc.strerror}", file=sys.stderr)
        return 2
    print(render(report, goals))
    print(f"\nJSON: {path}")
    return 0


def _plain(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
