"""Magic filters (``F.text``, ``F.chat.type == …``) checked on the event loop.

aiogram calls every filter that is not a coroutine in a worker thread
(`asyncio.to_thread`), magic filters included. A practice reply passed three of them: three
thread hops a turn, each a handover of the GIL, and under a burst of trainees each hop
waited for the busy loop thread to let go of it. `on_loop(F.…)` evaluates the same filter
in place; `tests/test_telegram_filters.py` checks that no filter or handler of the
dispatcher runs in a thread.
"""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject
from magic_filter import MagicFilter

__all__ = ["OnLoop", "on_loop"]


class OnLoop(Filter):
    """`magic` resolved against the event, on the loop (a cheap attribute walk)."""

    __slots__ = ("magic",)

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)

    def __str__(self) -> str:
        return f"on_loop({self.magic!r})"


def on_loop(magic: MagicFilter) -> OnLoop:
    return OnLoop(magic)
