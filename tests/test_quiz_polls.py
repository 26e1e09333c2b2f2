"""Group quiz polls: the poll-to-drill mapping over SQLite and PostgreSQL, and which drill
a group gets next."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.learning.models import ModuleId
from bot.learning.quiz_polls import PostedQuiz, next_group_drill
from bot.storage import create_engine_for, upgrade_database
from bot.storage.quiz_repository import SqlQuizPollStore
from tests.telegram_kit import curriculum
from tests.test_storage import BACKENDS, TEST_DATABASE_URL, scratch_postgres_database

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
GROUP = -1001234567890  # supergroup ids do not fit in 32 bits


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlQuizPollStore]:
    async def open_store(url: str) -> AsyncIterator[SqlQuizPollStore]:
        await upgrade_database(url)
        engine = create_engine_for(url)
        try:
            yield SqlQuizPollStore(engine)
        finally:
            await engine.dispose()

    if request.param == "sqlite":
        async for each in open_store(f"sqlite:///{tmp_path / 'coach.db'}"):
            yield each
        return
    async with scratch_postgres_database(TEST_DATABASE_URL) as url:
        async for each in open_store(url):
            yield each


def quiz(poll_id: str, drill_id: str, at: datetime, chat_id: int = GROUP) -> PostedQuiz:
    return PostedQuiz(
        poll_id=poll_id,
        chat_id=chat_id,
        message_id=7,
        drill_id=drill_id,
        option_ids=("confrontation_rupture", "withdrawal_rupture", "none"),
        created_at=at,
    )


async def test_a_posted_quiz_is_found_by_its_poll_id(store: SqlQuizPollStore) -> None:
    assert await store.find_quiz("5012345678901234567") is None
    posted = quiz("5012345678901234567", "conf-d01", T0)
    await store.remember_quiz(posted)
    assert await store.find_quiz("5012345678901234567") == posted


async def test_posted_drills_are_per_chat_with_the_latest_time(store: SqlQuizPollStore) -> None:
    await store.remember_quiz(quiz("p1", "conf-d01", T0))
    await store.remember_quiz(quiz("p2", "conf-d02", T0 + timedelta(minutes=1)))
    await store.remember_quiz(quiz("p3", "conf-d01", T0 + timedelta(minutes=2)))
    await store.remember_quiz(quiz("p4", "wd-d01", T0, chat_id=-42))
    assert await store.posted_drills(GROUP) == {
        "conf-d01": T0 + timedelta(minutes=2),
        "conf-d02": T0 + timedelta(minutes=1),
    }
    assert await store.posted_drills(-1) == {}


def test_a_group_gets_unseen_drills_in_order_then_the_longest_ago() -> None:
    catalog = curriculum()
    drills = catalog.modules[ModuleId.MIXED].drills
    first = next_group_drill(catalog, ModuleId.MIXED, {})
    assert first is drills[0]
    seen = {d.id: T0 + timedelta(minutes=i) for i, d in enumerate(drills)}
    assert next_group_drill(catalog, ModuleId.MIXED, {drills[0].id: T0}) is drills[1]
    seen[drills[0].id] = T0 + timedelta(days=1)
    assert next_group_drill(catalog, ModuleId.MIXED, seen) is drills[1]
    anywhere = next_group_drill(catalog, None, {})
    assert anywhere is catalog.modules[ModuleId.INTRODUCTION].drills[0]
