"""`python -m bot`: the command line. Every subcommand has --help."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot import __version__
from bot.cli import bench as bench_cli
from bot.cli import content as content_cli
from bot.cli import evaluate as evaluate_cli
from bot.cli import export as export_cli
from bot.cli import learning as learning_cli
from bot.cli import privacy as privacy_cli
from bot.cli import telegram as telegram_cli
from bot.config import Settings
from bot.domain.content import ContentError
from bot.wiring_errors import ConfigurationError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Rupture Coach: practise repairing alliance ruptures with a simulated patient.",
    )
    parser.add_argument("--version", action="version", version=f"rupture-coach {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = sub.add_parser("chat", help="practise in the terminal (works offline)")
    chat.add_argument("--persona", metavar="ID", help="persona to practise with (default: choose)")
    chat.add_argument("--seed", type=int, help="seed for a reproducible scripted patient")
    chat.add_argument(
        "--engine",
        choices=["scripted", "llm"],
        help="patient engine (default: llm if a model is configured)",
    )
    chat.add_argument(
        "--judge",
        choices=["rules", "llm", "minilm"],
        help="evaluator (default: JUDGE, else follows --engine)",
    )
    chat.add_argument(
        "--show-state", action="store_true", help="show the patient's tension after each turn"
    )
    chat.set_defaults(handler=run_chat, default_log_level="WARNING")

    content_cli.add_parsers(sub)
    telegram_cli.add_parsers(sub)
    evaluate_cli.add_parsers(sub)
    export_cli.add_parsers(sub)
    learning_cli.add_parsers(sub)
    bench_cli.add_parsers(sub)
    privacy_cli.add_parsers(sub)
    return parser


def run_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.terminal import TerminalPractice
    from bot.wiring import open_app

    async def go() -> int:
        async with open_app(settings, engine=args.engine, judge=args.judge) as app:
            user = await app.store.get_or_create_user("terminal", getpass.getuser())
            terminal = TerminalPractice(
                app.practice, user.id, sys.stdin, sys.stdout, show_state=args.show_state
            )
            return await terminal.run(args.persona, args.seed)

    return asyncio.run(go())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            print(f"Configuration error in {name}: {error['msg']}", file=sys.stderr)
        return 2
    level = settings.log_level or str(getattr(args, "default_log_level", "INFO"))
    logging.basicConfig(level=level.upper(), format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        code: int = args.handler(args, settings)
    except (ConfigurationError, ContentError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "\nStopped. Your session is saved; run the same command to continue.", file=sys.stderr
        )
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
