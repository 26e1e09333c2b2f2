"""What every trainee turn reads, served from memory on a SQLite file (`bot.storage.hot_cache`).

The cache must answer exactly as the database would, read the database again as soon as
anything else wrote to it (another connection, another process), and let go of an erased
trainee at once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.practice.records import EndReason, SessionRecord, SessionStatus, UserRecord
from bot.storage import SqlPracticeStore, create_engine_for, upgrade_database
from bot.storage.hot_cache import HotCache, ReplyTimes, Trainee
from tests.test_storage import (
    EVALUATION,
    STATE_AFTER,
    T0,
    USAGE,
    patient_turn,
    trainee_turn,
)

WINDOWS = [T0 + timedelta(seconds=2), T0 - timedelta(hours=1)]


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    return tmp_path / "coach.db"


@pytest.fixture
async def engine(database_file: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite:///{database_file}"
    await upgrade_database(url)
    engine = create_engine_for(url)
    yield engine
    await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> SqlPracticeStore:
    return SqlPracticeStore(engine)


class Statements:
    """The SQL the hot path's own connection runs (reads that did reach the database)."""

    def __init__(self, store: SqlPracticeStore) -> None:
        self.seen: list[str] = []
        worker = store._tx._worker
        assert worker is not None, "a SQLite file has a worker"
        event.listen(worker._inline, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.seen.append(statement.split()[0])

    def take(self) -> list[str]:
        seen, self.seen = self.seen, []
        return seen


async def trainee_in_session(store: SqlPracticeStore) -> tuple[UserRecord, int]:
    user = await store.get_or_create_user("telegram", "42")
    await store.set_consent(user.id, True)
    session_id = await store.create_session(user.id, "maria-confrontation", 7, "scripted")
    await store.append_turn(session_id, patient_turn(0))
    return user, session_id


async def fresh(store: SqlPracticeStore, user_id: int) -> tuple[SessionRecord | None, list[int]]:
    """What the database itself holds: the same read with the cache emptied first."""
    store._tx.cache.forget()
    return await store.active_session_and_reply_counts(user_id, WINDOWS)


async def test_a_trainee_is_read_once_and_then_answered_from_memory(
    store: SqlPracticeStore,
) -> None:
    user, session_id = await trainee_in_session(store)
    statements = Statements(store)

    assert (await store.find_user("telegram", "42")) == user.model_copy(update={"consented": True})
    first = await store.active_session_and_reply_counts(user.id, WINDOWS)
    assert statements.take() == [
        "SELECT",
        "SELECT",
        "SELECT",
        "SELECT",
    ]  # user; session, turns, times

    await store.find_user("telegram", "42")
    assert await store.active_session_and_reply_counts(user.id, WINDOWS) == first
    assert statements.take() == []

    await store.append_exchange(session_id, trainee_turn(1), patient_turn(2))
    assert statements.take() == ["INSERT", "INSERT"]
    session, counts = await store.active_session_and_reply_counts(user.id, WINDOWS)
    assert statements.take() == []
    assert session is not None and [t.index for t in session.turns] == [0, 1, 2]
    assert counts == [0, 1]  # the reply at T0 + 1 s is older than the minute window here
    assert (session, counts) == await fresh(store, user.id)


async def test_every_kind_of_turn_write_leaves_memory_equal_to_the_database(
    store: SqlPracticeStore,
) -> None:
    user, session_id = await trainee_in_session(store)
    berlin = timezone(timedelta(hours=1))
    writes: list[Callable[[], Awaitable[None]]] = [
        lambda: store.append_turn(
            session_id,
            trainee_turn(1).model_copy(
                update={"created_at": (T0 + timedelta(seconds=3)).astimezone(berlin)}
            ),
        ),
        lambda: store.update_turn(session_id, 1, evaluation=EVALUATION, state=STATE_AFTER),
        lambda: store.update_turn(
            session_id, 1, evaluation=EVALUATION, state=STATE_AFTER, usage=USAGE
        ),
        lambda: store.append_turn(session_id, patient_turn(2)),
        lambda: store.append_turn(session_id, trainee_turn(3)),
        lambda: store.record_answer(
            session_id,
            3,
            evaluation=EVALUATION,
            state=STATE_AFTER,
            usage=None,
            answer=patient_turn(4),
        ),
        lambda: store.append_exchange(
            session_id,
            trainee_turn(5).model_copy(update={"evaluation": EVALUATION, "state": STATE_AFTER}),
            patient_turn(6),
        ),
    ]
    await store.active_session_and_reply_counts(user.id, WINDOWS)
    for write in writes:
        await write()
        remembered = await store.active_session_and_reply_counts(user.id, WINDOWS)
        read_back = await fresh(store, user.id)
        assert remembered == read_back
        session = remembered[0]
        assert session is not None
        assert [t.created_at.utcoffset() for t in session.turns] == [timedelta(0)] * len(
            session.turns
        )
    assert read_back[1] == [3, 3]  # replies at T0 + 3 s, 3 s and 5 s


async def test_reply_counts_slide_with_their_windows_without_a_read(
    store: SqlPracticeStore,
) -> None:
    user, session_id = await trainee_in_session(store)
    await store.append_exchange(session_id, trainee_turn(1), patient_turn(2))
    await store.append_exchange(session_id, trainee_turn(3), patient_turn(4))
    assert (await store.active_session_and_reply_counts(user.id, [T0]))[1] == [2]
    statements = Statements(store)

    later = [T0 + timedelta(seconds=2), T0 + timedelta(seconds=1)]
    assert (await store.active_session_and_reply_counts(user.id, later))[1] == [1, 2]
    assert (await store.active_session_and_reply_counts(user.id, [T0 + timedelta(minutes=1)]))[
        1
    ] == [0]
    assert statements.take() == []
    # before what memory holds: the database answers
    earlier = [T0 - timedelta(days=1)]
    assert (await store.active_session_and_reply_counts(user.id, earlier))[1] == [2]
    assert statements.take() != []


async def test_replies_a_replay_copied_do_not_count_in_memory_either(
    store: SqlPracticeStore,
) -> None:
    user, original = await trainee_in_session(store)
    await store.append_exchange(original, trainee_turn(1), patient_turn(2))
    await store.finish_session(
        original,
        end_reason=EndReason.ENDED_BY_TRAINEE,
        resolution_rating=3,
        feedback={"summary": "ok"},
    )
    replay = await store.create_session(
        user.id, "maria-confrontation", 7, "scripted", replay_of=original, replay_from_turn=2
    )
    for turn in (patient_turn(0), trainee_turn(1), patient_turn(2)):  # copied up to turn 2
        await store.append_turn(replay, turn)
    assert (await store.active_session_and_reply_counts(user.id, [T0]))[1] == [1]

    await store.append_exchange(replay, trainee_turn(3), patient_turn(4))

    assert (await store.active_session_and_reply_counts(user.id, [T0]))[1] == [2]
    assert (await fresh(store, user.id))[1][-1] == 2


async def test_a_change_made_through_another_connection_is_read_at_once(
    store: SqlPracticeStore, database_file: Path
) -> None:
    user, session_id = await trainee_in_session(store)
    await store.append_exchange(session_id, trainee_turn(1), patient_turn(2))
    assert (await store.find_user("telegram", "42")) is not None
    assert (await store.active_session_and_reply_counts(user.id, WINDOWS))[0] is not None

    with sqlite3.connect(database_file) as other:
        other.execute("UPDATE users SET consented = 0 WHERE id = ?", (user.id,))
        other.execute("DELETE FROM turns WHERE session_id = ? AND `index` = 2", (session_id,))
    other.close()

    found = await store.find_user("telegram", "42")
    assert found is not None and found.consented is False
    session, _ = await store.active_session_and_reply_counts(user.id, WINDOWS)
    assert session is not None and [t.index for t in session.turns] == [0, 1]


async def test_an_erasure_by_another_process_is_read_at_once(
    store: SqlPracticeStore, database_file: Path
) -> None:
    user, _ = await trainee_in_session(store)
    assert (await store.active_session_and_reply_counts(user.id, WINDOWS))[0] is not None
    assert (await store.find_user("telegram", "42")) is not None

    erase = (
        "import sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1]); db.execute('PRAGMA foreign_keys = ON')\n"
        "db.execute('DELETE FROM users WHERE id = ?', (int(sys.argv[2]),)); db.commit()\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", erase, str(database_file), str(user.id)
    )
    assert await process.wait() == 0

    assert await store.find_user("telegram", "42") is None
    assert await store.active_session_and_reply_counts(user.id, WINDOWS) == (None, [0, 0])


async def test_erasing_a_trainee_empties_memory_at_once(store: SqlPracticeStore) -> None:
    user, _ = await trainee_in_session(store)
    await store.find_user("telegram", "42")
    await store.active_session_and_reply_counts(user.id, WINDOWS)
    cache = store._tx.cache
    assert len(cache.users) == 1 and len(cache.trainees) == 1

    await store.erase_user(user.id)

    assert len(cache.users) == 0 and len(cache.trainees) == 0
    assert await store.find_user("telegram", "42") is None


async def test_starting_ending_and_consenting_leave_other_trainees_in_memory(
    store: SqlPracticeStore,
) -> None:
    anna, anna_session = await trainee_in_session(store)
    ben = await store.get_or_create_user("telegram", "43")
    await store.set_consent(ben.id, True)
    ben_session = await store.create_session(ben.id, "maria-confrontation", 8, "scripted")
    await store.append_turn(ben_session, patient_turn(0))
    for user, key in ((anna, "42"), (ben, "43")):
        await store.find_user("telegram", key)
        await store.active_session_and_reply_counts(user.id, WINDOWS)
    statements = Statements(store)

    await store.finish_session(
        anna_session, end_reason=EndReason.ENDED_BY_TRAINEE, resolution_rating=2, feedback={}
    )
    assert (await store.active_session_and_reply_counts(anna.id, WINDOWS))[0] is None
    second = await store.create_session(anna.id, "maria-confrontation", 9, "scripted")
    await store.append_turn(second, patient_turn(0))
    await store.set_consent(anna.id, False)
    statements.take()

    assert (await store.find_user("telegram", "43")) is not None
    assert (await store.active_session_and_reply_counts(ben.id, WINDOWS))[0] is not None
    assert statements.take() == []  # Ben's answers stayed in memory

    anna_now = await store.find_user("telegram", "42")
    assert anna_now is not None and anna_now.consented is False
    remembered = await store.active_session_and_reply_counts(anna.id, WINDOWS)
    assert remembered[0] is not None and remembered[0].id == second
    assert remembered == await fresh(store, anna.id)


def test_memory_is_bounded_and_an_evicted_trainee_is_read_again() -> None:
    cache = HotCache(capacity=2)
    assert cache.validate((1, 1, 0))

    def session(number: int) -> SessionRecord:
        return SessionRecord(
            id=100 + number,
            user_id=number,
            persona_id="maria-confrontation",
            seed=number,
            engine="scripted",
            status=SessionStatus.ACTIVE,
            started_at=T0,
            turns=(patient_turn(0),),
        )

    for number in range(3):
        cache.keep(number, Trainee(session(number), ReplyTimes(T0, [])))
    assert sorted(cache.trainees) == [1, 2]  # the least recently used went

    cache.appended(100, (trainee_turn(1),))  # the evicted trainee's reply
    assert sorted(cache.trainees) == [1, 2]
    cache.appended(101, (trainee_turn(1),))
    one = cache.trainees[1]
    assert one.session is not None and len(one.session.turns) == 2
    assert one.replies is not None and one.replies.counts([T0]) == [1]

    for number in range(3, 40):
        cache.session_started(number, 100 + number)
    assert len(cache._owners) <= 4 * 2
    assert cache._owners[139] == 39
