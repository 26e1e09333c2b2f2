"""Settings: every variable is documented in .env.example, and the Bot API session uses them."""

from __future__ import annotations

from pathlib import Path

from aiogram.client.session.aiohttp import AiohttpSession

from bot.config import Settings
from bot.telegram.app import create_bot

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_listed_in_env_example() -> None:
    listed = (ROOT / ".env.example").read_text(encoding="utf-8")
    missing = [name.upper() for name in Settings.model_fields if f"{name.upper()}=" not in listed]
    assert missing == []


async def test_the_bot_api_session_allows_the_configured_connections() -> None:
    settings = Settings(_env_file=None, telegram_bot_token="123:abc", telegram_max_connections=7)
    bot = create_bot(settings)
    try:
        # aiogram keeps the connector's arguments until its first request opens it
        assert isinstance(bot.session, AiohttpSession)
        assert bot.session._connector_init["limit"] == 7
        assert Settings(_env_file=None).telegram_max_connections == 500
    finally:
        await bot.session.close()
