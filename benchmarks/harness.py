"""The bot under test, wired as production wires it, and the trainees that drive it.

`bot_under_test` builds the app with `bot.wiring.open_app` (migrations, storage,
patient and judge engines, limits) and the dispatcher with
`bot.telegram.app.create_dispatcher`; the aiogram `Bot` comes from `create_bot`
and talks HTTP to the fake Bot API. Updates enter through
`Dispatcher.feed_raw_update`, as long polling hands them over.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import resource
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

from benchmarks.servers import FakeServers, TelegramCall
from bot.config import Settings
from bot.domain.persona import Persona
from bot.telegram.app import create_bot, create_dispatcher, settle_memory
from bot.telegram.identity import CHANNEL
from bot.telegram.texts import UiTexts, load_texts
from bot.wiring import App, open_app
from tests.fakes.telegram_server import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent

#: what simulated trainees write, in turn: a repair, a pitfall, a question, more repairs
#: (in this order no session resolves within five replies, so measured turns stay mid-session)
REPLIES = (
    "I notice that since I brought up the homework things have felt tense between us. "
    "I wonder if something I did didn't sit right with you?",
    "Well, the exercises only work if you actually do them, so let's go through them again.",
    "Can you tell me a bit more about what this week was like for you?",
    "It sounds like I pushed the task without asking how it fits your life. "
    "That's on me, and I'm sorry. What would make it more useful?",
    "Maybe we could change the task so it fits better with the week you actually have.",
    "I hear that you're frustrated with how slowly things are moving. That makes sense.",
)

Engine = Literal["scripted", "llm"]
Judge = Literal["rules", "llm"]


class Updates:
    """Telegram updates as the Bot API sends them (one counter, so ids never repeat)."""

    def __init__(self) -> None:
        self._builder = FakeTelegram()

    def text(self, telegram_id: int, text: str) -> dict[str, Any]:
        return self._builder.text(telegram_id, text)


@dataclass
class BotUnderTest:
    app: App
    bot: Bot
    dp: Dispatcher
    texts: UiTexts
    engine: Engine
    judge: Judge

    @property
    def label(self) -> str:
        patient = "LLM patient" if self.engine == "llm" else "scripted patient"
        judge = "LLM judge" if self.judge == "llm" else "rule judge"
        return f"{patient} + {judge}"

    async def feed(self, update: dict[str, Any]) -> None:
        await self.dp.feed_raw_update(self.bot, update)

    def personas(self) -> list[Persona]:
        """The English catalogue personas (the trainees' replies are English)."""
        return [p for p in self.app.practice.personas() if p.language == "en"]

    async def enrol(self, telegram_id: int, persona: Persona, replies: int = 0) -> None:
        """A consented trainee with an active session, `replies` turns into it."""
        store, practice = self.app.store, self.app.practice
        user = await store.get_or_create_user(CHANNEL, str(telegram_id))
        await store.set_consent(user.id, True)
        await practice.start(user.id, persona.id, seed=telegram_id)
        for number in range(replies):
            await practice.reply(user.id, REPLIES[number % len(REPLIES)])


def settings_for(servers: FakeServers, database_url: str) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": servers.token,
        "telegram_api_url": servers.telegram_url,
        "openai_base_url": servers.openai_url,
        "openai_api_key": "benchmark",
        "transcription_model": None,
        "database_url": database_url,
        "redis_url": None,
        "personas_dir": ROOT / "personas",
        "rubrics_dir": ROOT / "rubrics",
        "content_dir": ROOT / "content",
        "model_max_retries": 0,
    }
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def bot_under_test(
    servers: FakeServers, database_url: str, engine: Engine, judge: Judge
) -> AsyncIterator[BotUnderTest]:
    settings = settings_for(servers, database_url)
    texts = load_texts(settings.content_dir)
    async with open_app(settings, engine=engine, judge=judge) as app:
        bot = create_bot(settings)
        try:
            dp = create_dispatcher(practice=app.practice, texts=texts)
            settle_memory()  # as the bot's startup does
            yield BotUnderTest(app, bot, dp, texts, engine, judge)
        finally:
            await bot.session.close()


@dataclass
class Floor:
    """aiogram's bare echo handler (optionally after a wait standing in for a model call)."""

    bot: Bot
    dp: Dispatcher
    wait_s: float = 0.0

    async def feed(self, update: dict[str, Any]) -> None:
        await self.dp.feed_raw_update(self.bot, update)


@asynccontextmanager
async def echo_floor(servers: FakeServers, wait_s: float = 0.0) -> AsyncIterator[Floor]:
    router = Router(name="echo")

    if wait_s > 0:

        @router.message()
        async def echo_after_wait(message: Message) -> None:
            await asyncio.sleep(wait_s)
            await message.answer(message.text or "")

    else:

        @router.message()
        async def echo(message: Message) -> None:
            await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    bot = Bot(
        servers.token,
        session=AiohttpSession(api=TelegramAPIServer.from_base(servers.telegram_url)),
    )
    try:
        yield Floor(bot, dp, wait_s)
    finally:
        await bot.session.close()


async def in_batches(jobs: Sequence[Callable[[], Awaitable[None]]], size: int = 25) -> None:
    """Run setup jobs a batch at a time (quick, without flooding the database)."""
    for start in range(0, len(jobs), size):
        await asyncio.gather(*(job() for job in jobs[start : start + size]))


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..1) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))
    return ordered[rank]


def first_calls(
    calls: Sequence[TelegramCall], method: str, chats: set[int] | None = None
) -> dict[int, TelegramCall]:
    """The first call of `method` to each chat, in arrival order."""
    first: dict[int, TelegramCall] = {}
    for call in calls:
        if call.method.lower() != method.lower() or call.chat_id is None:
            continue
        if chats is None or call.chat_id in chats:
            first.setdefault(call.chat_id, call)
    return first


def rss_mb() -> float:
    """The process's resident memory now (Linux /proc; peak RSS elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@asynccontextmanager
async def memory_peak(every_s: float = 0.01) -> AsyncIterator[list[float]]:
    """Sample RSS while the block runs; yields [baseline, peak] (MiB), filled at exit."""
    result = [rss_mb(), 0.0]
    peak = result[0]
    stop = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_mb())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)

    task = asyncio.create_task(sample())
    try:
        yield result
    finally:
        stop.set()
        await task
        result[1] = max(peak, rss_mb())


def now() -> float:
    return time.monotonic()
