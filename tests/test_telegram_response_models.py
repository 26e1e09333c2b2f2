"""aiogram's parsed-response classes outlive garbage collection once the bot has used them.

pydantic caches `Response[Message]` and friends by weak reference only; without a pin
every collection throws them away and the next Bot API call rebuilds the schema.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from aiogram.methods.base import Response
from aiogram.types import Message

from tests.fakes.telegram_server import FakeTelegram
from tests.telegram_kit import settings_for


async def test_the_response_class_of_a_sent_message_survives_garbage_collection(
    tmp_path: Path,
) -> None:
    from bot.telegram.app import create_bot

    async with FakeTelegram() as tg:
        bot = create_bot(settings_for(tg, f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"))
        try:
            sent = await bot.send_message(42, "hello")
            assert sent.text == "hello"
            built = weakref.ref(Response[Message])
            gc.collect()
            assert built() is not None
            assert built() is Response[Message]
        finally:
            await bot.session.close()
