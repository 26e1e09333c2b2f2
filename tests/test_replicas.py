"""Two bot replicas on one PostgreSQL and one Redis serving the same trainee: state is
shared, a user's updates run one at a time and in order, a duplicate gives one turn.

Needs TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL (`bin/test` sets both when the
services run). Without Redis, two practice services on one database still never store
a duplicate turn index or lose a reply (that part also runs on SQLite).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis

from bot.domain.evaluation import RuptureMoment, TurnEvaluation
from bot.domain.ids import Speaker
from bot.judges.rules import RuleJudge
from bot.patients.scripted import ScriptedPatient
from bot.practice.service import PracticeService
from bot.storage import SqlPracticeStore, create_engine_for, upgrade_database
from bot.telegram.app import create_bot, create_dispatcher
from bot.telegram.runtime import Runtime
from tests.fakes.telegram_server import FakeTelegram
from tests.reliability_kit import NEUTRAL, PERSONA, CountingJudge, Overlap, roomy_catalog
from tests.telegram_kit import USER, crisis, settings_for, texts
from tests.test_storage import BACKENDS, TEST_DATABASE_URL, scratch_postgres_database

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
needs_services = pytest.mark.skipif(
    not (TEST_REDIS_URL and TEST_DATABASE_URL),
    reason="set TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL to test replicas",
)


@dataclass
class Replica:
    name: str
    bot: Bot
    dp: Dispatcher
    practice: PracticeService
    runtime: Runtime

    async def send(self, tg: FakeTelegram, update: dict[str, Any]) -> None:
        await self.dp.feed_update(self.bot, tg.as_update(update))


@asynccontextmanager
async def replicas(
    tg: FakeTelegram, database_url: str, judge: CountingJudge, prefix: str, tmp_path: Path
) -> AsyncIterator[tuple[Replica, Replica]]:
    """Two replicas: each its own engine, store, service, Redis client and dispatcher."""
    await upgrade_database(database_url)
    catalog = roomy_catalog(tmp_path)
    async with AsyncExitStack() as stack:
        made: list[Replica] = []
        for name in ("a", "b"):
            engine = create_engine_for(database_url)
            stack.push_async_callback(engine.dispose)
            redis = Redis.from_url(TEST_REDIS_URL)
            runtime = Runtime.with_redis(redis, turn_budget_s=30, prefix=prefix)
            stack.push_async_callback(runtime.close)
            practice = PracticeService(
                catalog=catalog,
                store=SqlPracticeStore(engine),
                patient=ScriptedPatient(),
                judge=judge,
                crisis=crisis(),
            )
            bot = create_bot(settings_for(tg, database_url))
            stack.push_async_callback(bot.session.close)
            dp = create_dispatcher(
                practice=practice, texts=texts(), session_seed=7, runtime=runtime
            )
            made.append(Replica(name, bot, dp, practice, runtime))
        yield made[0], made[1]


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with scratch_postgres_database(TEST_DATABASE_URL) as url:
        yield url


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    name = f"rc-test-{uuid4().hex[:12]}"
    yield name
    redis = Redis.from_url(TEST_REDIS_URL)
    try:
        keys = [key async for key in redis.scan_iter(f"{name}:*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


async def redis_keys(prefix: str) -> list[str]:
    redis = Redis.from_url(TEST_REDIS_URL)
    try:
        return sorted([key.decode() async for key in redis.scan_iter(f"{prefix}:*")])
    finally:
        await redis.aclose()


async def start_practising(tg: FakeTelegram, a: Replica, b: Replica) -> None:
    """Consent through one replica, choose the patient through the other."""
    await a.send(tg, tg.text(USER, "/start"))
    await b.send(tg, tg.tap(USER, "✅ I agree"))
    await a.send(tg, tg.tap(USER, "🎭 Practise"))
    await b.send(tg, tg.tap(USER, "Confrontation"))
    await a.send(tg, tg.tap(USER, "The homework is pointless · ★"))


@needs_services
async def test_two_replicas_share_state_and_keep_one_users_updates_in_order(
    tmp_path: Path, postgres_url: str, prefix: str
) -> None:
    judge = CountingJudge(RuleJudge(roomy_catalog(tmp_path).rubrics), Overlap())
    async with FakeTelegram() as tg, replicas(tg, postgres_url, judge, prefix, tmp_path) as (a, b):
        await start_practising(tg, a, b)
        user = await a.practice.store.find_user("telegram", str(USER))
        assert user is not None and user.consented
        assert (await b.practice.active(user.id)) is not None

        key = StorageKey(bot_id=a.bot.id, chat_id=USER, user_id=USER)
        await a.dp.storage.set_data(key, {"seen_by": "a"})
        assert await b.dp.storage.get_data(key) == {"seen_by": "a"}

        burst = [f"{NEUTRAL} ({n})" for n in range(1, 21)]
        tasks = []
        for n, text in enumerate(burst):
            replica = (a, b)[n % 2]  # the load balancer alternates
            tasks.append(asyncio.create_task(replica.send(tg, tg.text(USER, text))))
            await asyncio.sleep(0.005)  # messages typed in a burst, a few ms apart
        await asyncio.gather(*tasks)

        session = await b.practice.active(user.id)
        assert session is not None
        assert [t.text for t in session.turns if t.speaker is Speaker.TRAINEE] == burst
        assert [t.index for t in session.turns] == list(range(41))
        assert judge.replies == burst
        assert judge.overlap.most == 1  # never two of this user's turns at once
        lines = [m["text"] for m in tg.messages(USER) if m["text"].startswith("<b>Daniel:")]
        assert len(lines) == 21  # the opening and one answer per message


@needs_services
async def test_a_duplicate_delivered_to_both_replicas_gives_one_turn_and_forget_clears_redis(
    tmp_path: Path, postgres_url: str, prefix: str
) -> None:
    judge = CountingJudge(RuleJudge(roomy_catalog(tmp_path).rubrics), Overlap())
    async with FakeTelegram() as tg, replicas(tg, postgres_url, judge, prefix, tmp_path) as (a, b):
        await start_practising(tg, a, b)
        update = tg.text(USER, NEUTRAL)
        mark = tg.mark()
        await asyncio.gather(a.send(tg, update), b.send(tg, update))
        await a.send(tg, update)
        assert len(tg.since(mark, "sendMessage")) == 1
        assert judge.overlap.calls == 1

        key = StorageKey(bot_id=a.bot.id, chat_id=USER, user_id=USER)
        await a.dp.storage.set_data(key, {"draft": "something personal"})
        assert any(":data" in k for k in await redis_keys(prefix))
        await b.send(tg, tg.text(USER, "/forget"))
        await a.send(tg, tg.tap(USER, texts().buttons.forget_confirm))
        assert tg.sent_texts(USER)[-1] == texts().forget_done
        assert await b.dp.storage.get_data(key) == {}
        assert [
            k for k in await redis_keys(prefix) if ":fsm:" in k and not k.endswith("queue")
        ] == []
        assert await a.practice.store.find_user("telegram", str(USER)) is None


class SlowJudge:
    """The rule judge, slowed down so that two replicas' turns overlap."""

    name = "rules"
    calls_model = True  # stands in for a slow model

    def __init__(self, inner: RuleJudge) -> None:
        self.inner = inner

    async def evaluate(self, moment: RuptureMoment) -> TurnEvaluation:
        await asyncio.sleep(0.05)
        return await self.inner.evaluate(moment)


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}"
        return
    async with scratch_postgres_database(TEST_DATABASE_URL) as url:
        yield url


async def test_two_services_replying_at_once_lose_nothing_and_duplicate_no_index(
    tmp_path: Path, database_url: str
) -> None:
    """Without shared isolation the database's unique (session, index) key still holds."""
    catalog = roomy_catalog(tmp_path)
    await upgrade_database(database_url)
    engines = [create_engine_for(database_url) for _ in range(2)]
    try:
        one, two = (
            PracticeService(
                catalog=catalog,
                store=SqlPracticeStore(engine),
                patient=ScriptedPatient(),
                judge=SlowJudge(RuleJudge(catalog.rubrics)),
                crisis=crisis(),
            )
            for engine in engines
        )
        user = await one.store.get_or_create_user("telegram", "1")
        await one.start(user.id, PERSONA, seed=3)
        for round_ in range(3):
            first, second = f"{NEUTRAL} a{round_}", f"{NEUTRAL} b{round_}"
            outcomes = await asyncio.gather(one.reply(user.id, first), two.reply(user.id, second))
            assert all(o.patient_line for o in outcomes)
        session = await two.active(user.id)
        assert session is not None
        assert [t.index for t in session.turns] == list(range(len(session.turns)))
        speakers = [t.speaker for t in session.turns]
        assert speakers == [Speaker.PATIENT, Speaker.TRAINEE] * 6 + [Speaker.PATIENT]
        replies = sorted(t.text for t in session.turns if t.speaker is Speaker.TRAINEE)
        assert replies == sorted(f"{NEUTRAL} {s}{n}" for s in "ab" for n in range(3))
    finally:
        for engine in engines:
            await engine.dispose()
