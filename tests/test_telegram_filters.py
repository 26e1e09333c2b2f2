"""No filter or handler of the dispatcher runs in a worker thread.

aiogram hands every callable that is not a coroutine to `asyncio.to_thread`, magic filters
(``F.text``) included; `bot.telegram.filters.on_loop` keeps them on the event loop. A bare
``F.…`` added to a router later would bring a thread hop into every update it sees.
"""

from __future__ import annotations

from pathlib import Path

from aiogram import Dispatcher, F, Router
from aiogram.types import Message

from bot.telegram.filters import on_loop
from tests.cohort_kit import cohort_rig
from tests.telegram_kit import rig


def threaded(dp: Dispatcher) -> list[str]:
    """Every filter and handler aiogram would call through `asyncio.to_thread`."""
    found = []
    for router in dp.chain_tail:
        for kind, observer in router.observers.items():
            for handler in [observer._handler, *observer.handlers]:  # _handler: router filters
                where = f"{router.name}.{kind}: {handler.callback!r}"
                if handler is not observer._handler and not handler.awaitable:
                    found.append(f"handler {where}")
                found += [
                    f"filter {f.callback!r} in {where}"
                    for f in handler.filters or []
                    if not f.awaitable
                ]
    return found


async def test_every_router_of_the_full_dispatcher_stays_on_the_loop(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        assert threaded(r.dp) == []
    async with cohort_rig(tmp_path / "cohorts") as c:
        assert threaded(c.r.dp) == []


def test_the_check_finds_a_bare_magic_filter() -> None:
    dp = Dispatcher()
    router = Router(name="careless")
    router.message(F.text)(_ignore)
    router.message(on_loop(F.text))(_ignore)
    dp.include_router(router)
    assert len(threaded(dp)) == 1
    assert threaded(dp)[0].startswith("filter <bound method MagicFilter.resolve")


async def _ignore() -> None:
    return None


async def test_on_loop_answers_as_the_magic_filter_would() -> None:
    text = Message.model_validate(
        {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "I hear you"}
    )
    voice = text.model_copy(update={"text": None})
    assert await on_loop(F.text)(text) == "I hear you"
    assert not await on_loop(F.text)(voice)
    assert await on_loop(~F.text.startswith("/"))(text) is True
    assert await on_loop(F.chat.type == "private")(text) is True
    assert await on_loop(F.chat.type == "group")(text) is False
