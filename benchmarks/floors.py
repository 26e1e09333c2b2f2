"""Library floors: aiogram handlers that do what the mandated libraries must, and no more.

The echo floor (`benchmarks.harness.echo_floor`) shows what aiogram costs on its own.
These two show what the other libraries the product must use cost on their own, on a
plain `Bot`/`Dispatcher` against the same fake Bot API, so the report can tell how much
of the gap between the bot and the echo floor is theirs and how much is the bot's:

- `judged_write_floor`: the product's `RuleJudge` (built from the shipped rubrics as
  `bot.wiring` builds it) on the reply with a short fixed context, one SQLAlchemy Core
  INSERT of the reply into a one-table database, committed, then the echo. On SQLite the
  write runs on a sync engine on the event loop, tuned like the bot's inline connection
  (`tune_sqlite`: WAL, synchronous NORMAL, BEGIN IMMEDIATE, no waiting, no automatic
  checkpoint); on PostgreSQL through the async engine and ``run_sync``, on a pool of
  the bot's size behind a gate, as `bot.storage.transactions` does.
- `model_call_floor`: "typing…" through aiogram, one chat completion through a real
  `openai.AsyncOpenAI` client (`make_client`, `complete_text`) against the fake model
  server, then the completion as the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatAction
from aiogram.types import Message
from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.harness import settings_for
from benchmarks.servers import FakeServers
from bot.adapters.openai_llm import LLMUnavailable, complete_text, make_client
from bot.domain.evaluation import RuptureMoment, Utterance
from bot.domain.ids import ConfrontationMarker, RuptureType, Speaker
from bot.judges.rules import RuleJudge
from bot.storage import async_url
from bot.storage.db import tune_sqlite
from bot.wiring import load_content

JUDGED_WRITE_LABEL: Final = "echo + rule judge + one durable write (library floor)"
MODEL_CALL_LABEL: Final = "typing + model call through openai (library floor)"
#: connections the PostgreSQL pool hands out at once (as `bot.storage.transactions`)
PG_POOL_SIZE: Final = 5
PG_MAX_OVERFLOW: Final = 10

#: the conversation the judged reply answers (fixed: the floor judges only the reply)
CONTEXT: Final = (
    Utterance(
        speaker=Speaker.PATIENT,
        text="I did the breathing thing once. It was pointless, honestly.",
    ),
    Utterance(speaker=Speaker.TRAINEE, text="What made it feel pointless?"),
    Utterance(
        speaker=Speaker.PATIENT,
        text="I don't know why we keep doing these exercises. Nothing is changing.",
    ),
)
#: the prompt of the model call: a system line and the trainee's reply
SYSTEM_PROMPT: Final = "You are a therapy patient in a training role-play. Answer in one line."

_METADATA = MetaData()
REPLIES_TABLE: Final = Table(
    "library_floor_replies",
    _METADATA,
    Column("id", Integer, primary_key=True),
    Column("text", Text, nullable=False),
)
_INSERT: Final = insert(REPLIES_TABLE)


@dataclass
class LibraryFloor:
    """An aiogram handler on a plain `Bot`; fed like the bot under test."""

    label: str
    bot: Bot
    dp: Dispatcher

    async def feed(self, update: dict[str, Any]) -> None:
        await self.dp.feed_raw_update(self.bot, update)


def _plain_bot(servers: FakeServers) -> Bot:
    """A `Bot` with aiogram's defaults, like the echo floor's."""
    return Bot(
        servers.token,
        session=AiohttpSession(api=TelegramAPIServer.from_base(servers.telegram_url)),
    )


# --- one durable write ------------------------------------------------------------------


Store = Callable[[str], Awaitable[None]]


@asynccontextmanager
async def _serving(servers: FakeServers, label: str, router: Router) -> AsyncIterator[LibraryFloor]:
    """`router` on a plain Dispatcher and Bot, as the echo floor is served."""
    dp = Dispatcher()
    dp.include_router(router)
    bot = _plain_bot(servers)
    try:
        yield LibraryFloor(label, bot, dp)
    finally:
        await bot.session.close()


@asynccontextmanager
async def durable_writes(database_url: str) -> AsyncIterator[Store]:
    """`await store(text)`: one committed INSERT of `text`, in its own transaction.

    SQLite: a file next to the bot's database, a sync engine on the event loop. PostgreSQL:
    the same database as the bot, through the async engine.
    """
    target = async_url(database_url)
    if target.get_backend_name() == "sqlite":
        path = Path(target.database or "bench.db").with_name("library-floor.db")
        engine = create_engine(
            target.set(drivername="sqlite+pysqlite", database=str(path)),
            pool_size=1,
            max_overflow=0,
        )
        tune_sqlite(
            engine,
            foreign_keys=True,
            busy_timeout_ms=0,
            extra_pragmas=("PRAGMA wal_autocheckpoint = 0",),
        )
        _METADATA.create_all(engine)

        async def store_sqlite(text: str) -> None:
            with engine.begin() as connection:
                connection.execute(_INSERT, {"text": text})

        try:
            yield store_sqlite
        finally:
            engine.dispose()
        return

    async_engine = create_async_engine(target, pool_size=PG_POOL_SIZE, max_overflow=PG_MAX_OVERFLOW)
    gate = asyncio.Semaphore(PG_POOL_SIZE + PG_MAX_OVERFLOW)
    async with async_engine.begin() as connection:
        await connection.run_sync(_METADATA.create_all)

    async def store_pg(text: str) -> None:
        def work(connection: Connection) -> None:
            connection.execute(_INSERT, {"text": text})

        async with gate, async_engine.begin() as connection:
            await connection.run_sync(work)

    try:
        yield store_pg
    finally:
        await async_engine.dispose()


@asynccontextmanager
async def judged_write_floor(
    servers: FakeServers, database_url: str
) -> AsyncIterator[LibraryFloor]:
    """Rule judge, one durable write, echo."""
    settings = settings_for(servers, database_url)
    catalog, _ = load_content(settings)
    judge = RuleJudge(catalog.rubrics)
    router = Router(name="judged-write")
    async with durable_writes(database_url) as store:

        @router.message()
        async def judge_store_echo(message: Message) -> None:
            text = message.text or ""
            await judge.evaluate(
                RuptureMoment(
                    lang="en",
                    rupture=RuptureType.CONFRONTATION,
                    marker=ConfrontationMarker.COMPLAINT_ABOUT_ACTIVITIES,
                    context=CONTEXT,
                    reply=text,
                )
            )
            await store(text)
            await message.answer(text)

        async with _serving(servers, JUDGED_WRITE_LABEL, router) as floor:
            yield floor


# --- one model call -----------------------------------------------------------------------


@asynccontextmanager
async def model_call_floor(servers: FakeServers, database_url: str) -> AsyncIterator[LibraryFloor]:
    """ "typing…", one chat completion through the openai client, the completion as answer.

    A failed call answers nothing, so it shows as a missing reply.
    """
    settings = settings_for(servers, database_url)
    client = make_client(
        settings.openai_base_url,
        settings.api_key,
        settings.model_timeout_seconds,
        settings.model_max_retries,
    )
    router = Router(name="model-call")

    @router.message()
    async def typing_model_answer(message: Message, bot: Bot) -> None:
        await bot.send_chat_action(chat_id=message.chat.id, action=ChatAction.TYPING)
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": message.text or ""},
        ]
        try:
            completion = await complete_text(
                client, model=settings.patient_model, messages=messages
            )
        except LLMUnavailable:
            return
        await message.answer(completion.text)

    try:
        async with _serving(servers, MODEL_CALL_LABEL, router) as floor:
            yield floor
    finally:
        await client.close()
