"""`run` and `webhook`: the Telegram bot (long polling, or a webhook server for replicas)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from bot.config import Settings

ERROR_NOT_SET = (
    "error: TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather and put it in .env "
    "(see .env.example)."
)
ERROR_MALFORMED = (
    "error: TELEGRAM_BOT_TOKEN is malformed; it looks like 123456789:AAE... "
    "(digits, a colon, then the secret, no spaces). Copy it again from @BotFather."
)

ERROR_UNAUTHORIZED = (
    "error: Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized). Check it with @BotFather; "
    "a revoked token must be replaced."
)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser(
        "run",
        help="run the Telegram bot (long polling; needs TELEGRAM_BOT_TOKEN)",
        description=(
            "Start the Telegram bot with long polling. TELEGRAM_BOT_TOKEN is required; "
            "TELEGRAM_API_URL points it at a self-hosted Bot API server. Stop with Ctrl+C."
        ),
    )
    run.set_defaults(handler=run_bot)
    webhook = sub.add_parser(
        "webhook",
        help="run the Telegram bot as a webhook server (replicas; needs WEBHOOK_URL/SECRET)",
        description=(
            "Serve Telegram's webhook with aiohttp on WEBHOOK_HOST:WEBHOOK_PORT: updates at the "
            "path of WEBHOOK_URL (checked against WEBHOOK_SECRET), health at /healthz. Several "
            "replicas can share DATABASE_URL (PostgreSQL) and REDIS_URL. SIGTERM drains "
            "in-flight turns for SHUTDOWN_GRACE_SECONDS."
        ),
    )
    webhook.set_defaults(handler=run_webhook_server)


def check_token(settings: Settings, err: TextIO) -> bool:
    """One line on stderr instead of a traceback when the token cannot work."""
    from bot.telegram.app import token_is_well_formed

    if settings.telegram_bot_token is None:
        print(ERROR_NOT_SET, file=err)
        return False
    if not token_is_well_formed(settings.telegram_bot_token.get_secret_value()):
        print(ERROR_MALFORMED, file=err)
        return False
    return True


def _serve(settings: Settings, err: TextIO, *, webhook: bool) -> int:
    """Run the bot; Telegram refusing the token or being unreachable is one line, not a trace."""
    from bot.telegram.app import BotApiUnreachable, TokenRejected, run_polling, run_webhook

    try:
        asyncio.run(run_webhook(settings) if webhook else run_polling(settings))
    except TokenRejected:
        print(ERROR_UNAUTHORIZED, file=err)
        return 2
    except BotApiUnreachable as exc:
        where = settings.telegram_api_url or "api.telegram.org"
        print(f"error: cannot reach the Bot API at {where} ({exc}).", file=err)
        return 1
    except OSError as exc:  # the webhook's port is taken, or the host is not ours
        if not webhook:
            raise
        where = f"{settings.webhook_host}:{settings.webhook_port}"
        print(f"error: cannot listen on {where} ({exc.strerror or exc}).", file=err)
        return 1
    return 0


def run_bot(args: argparse.Namespace, settings: Settings, err: TextIO | None = None) -> int:
    err = err or sys.stderr
    if not check_token(settings, err):
        return 2
    return _serve(settings, err, webhook=False)


ERROR_WEBHOOK = (
    "error: the webhook needs WEBHOOK_URL (the public https:// address Telegram posts to) and "
    "WEBHOOK_SECRET (1-256 letters, digits, _ or -); see .env.example."
)


def run_webhook_server(
    args: argparse.Namespace, settings: Settings, err: TextIO | None = None
) -> int:
    err = err or sys.stderr
    if not check_token(settings, err):
        return 2
    if not settings.webhook_url or settings.webhook_secret is None:
        print(ERROR_WEBHOOK, file=err)
        return 2
    if not settings.webhook_url.startswith("https://"):
        print("error: WEBHOOK_URL must start with https:// (Telegram only posts there).", file=err)
        return 2
    return _serve(settings, err, webhook=True)
