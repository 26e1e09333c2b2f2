"""The SQL practice store, against SQLite in tmp_path and, if TEST_DATABASE_URL is set, PostgreSQL.

TEST_DATABASE_URL names a PostgreSQL server whose role may create databases, e.g.
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``; each test gets a fresh database.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import func, make_url, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.domain.evaluation import TokenUsage, TurnEvaluation
from bot.domain.ids import Pitfall, RepairStrategy, Speaker, Stage
from bot.domain.state import PatientState
from bot.practice.records import (
    EndReason,
    SessionRecord,
    SessionStatus,
    TurnRecord,
)
from bot.practice.store import PracticeStore, TurnExists
from bot.storage import (
    DatabaseURLError,
    SqlPracticeStore,
    async_url,
    create_engine_for,
    upgrade_database,
)
from bot.storage.tables import Base

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            not TEST_DATABASE_URL,
            reason="set TEST_DATABASE_URL=postgresql+asyncpg://user@host/db to test PostgreSQL",
        ),
    ),
]
T0 = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


@asynccontextmanager
async def scratch_postgres_database(server_url: str) -> AsyncIterator[str]:
    """A new, empty database on the server of `server_url`, dropped afterwards."""
    server = async_url(server_url)
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"rc_test_{uuid4().hex[:16]}"
    try:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'coach.db'}"
        return
    async with scratch_postgres_database(TEST_DATABASE_URL) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_database(database_url)
    engine = create_engine_for(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> SqlPracticeStore:
    return SqlPracticeStore(engine)


def patient_turn(index: int, text: str = "Whatever. This isn't helping.") -> TurnRecord:
    return TurnRecord(
        index=index,
        speaker=Speaker.PATIENT,
        text=text,
        created_at=T0 + timedelta(seconds=index),
        state=PatientState(tension=7, stage=Stage.ANGER, turn=index // 2),
        engine="scripted",
    )


def trainee_turn(index: int, text: str = "It sounds like I let you down.") -> TurnRecord:
    return TurnRecord(
        index=index,
        speaker=Speaker.TRAINEE,
        text=text,
        created_at=T0 + timedelta(seconds=index),
    )


EVALUATION = TurnEvaluation(
    moves=(RepairStrategy.ACKNOWLEDGE_CONTRIBUTION, RepairStrategy.EXPLORE_RUPTURE),
    pitfalls=(Pitfall.DEFENSIVE,),
    rating=4,
    evidence={"acknowledge_contribution": "I let you down", "defensive": "but I tried"},
    feedback="Good ownership — ein schöner Anfang.",
    judge="llm:test",
    usage=TokenUsage(prompt_tokens=120, completion_tokens=30, cached_tokens=64),
)
STATE_AFTER = PatientState(
    tension=5,
    stage=Stage.DISAPPOINTMENT_HURT,
    turn=1,
    low_streak=0,
    moves_seen=("acknowledge_contribution", "explore_rupture"),
)
USAGE = TokenUsage(prompt_tokens=300, completion_tokens=45, cached_tokens=256)


async def count_rows(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as connection:
        rows = select(func.count()).select_from(Base.metadata.tables[table])
        return int((await connection.execute(rows)).scalar_one())


def test_store_satisfies_the_protocol(store: SqlPracticeStore) -> None:
    typed: PracticeStore = store
    assert typed is store


# --- users -----------------------------------------------------------------


async def test_get_or_create_user_is_idempotent(store: SqlPracticeStore) -> None:
    first = await store.get_or_create_user("telegram", "1001")
    again = await store.get_or_create_user("telegram", "1001")
    other_channel = await store.get_or_create_user("terminal", "1001")

    assert again == first
    assert other_channel.id != first.id
    assert first.consented is False
    assert first.created_at.tzinfo is not None
    assert await store.get_user(first.id) == first
    assert await store.get_user(first.id + 1000) is None


async def test_get_or_create_user_under_concurrency_makes_one_user(
    store: SqlPracticeStore,
) -> None:
    users = await asyncio.gather(*(store.get_or_create_user("telegram", "7") for _ in range(8)))

    assert len({user.id for user in users}) == 1


async def test_consent_is_recorded_and_withdrawn(store: SqlPracticeStore) -> None:
    user = await store.get_or_create_user("telegram", "1")

    await store.set_consent(user.id, True)
    given = await store.get_user(user.id)
    exported = await store.export_user(user.id)
    await store.set_consent(user.id, False)
    withdrawn = await store.get_user(user.id)

    assert given is not None
    assert given.consented is True
    assert exported["user"]["consented_at"] is not None
    assert withdrawn is not None
    assert withdrawn.consented is False
    assert (await store.export_user(user.id))["user"]["consented_at"] is None
    with pytest.raises(LookupError):
        await store.set_consent(user.id + 1000, True)


# --- sessions and turns ----------------------------------------------------


async def test_session_round_trips_turns_state_and_evaluation(store: SqlPracticeStore) -> None:
    user = await store.get_or_create_user("telegram", "1")
    session_id = await store.create_session(user.id, "maria-confrontation", 2**40 + 3, "scripted")
    berlin = timezone(timedelta(hours=1))
    opening = patient_turn(0).model_copy(update={"created_at": T0.astimezone(berlin)})
    reply = trainee_turn(1).model_copy(update={"usage": TokenUsage(prompt_tokens=1)})

    await store.append_turn(session_id, opening)
    await store.append_turn(session_id, reply)
    await store.update_turn(session_id, 1, evaluation=EVALUATION, state=STATE_AFTER, usage=USAGE)
    stored = await store.get_session(session_id)

    assert stored is not None
    assert stored.model_dump(exclude={"started_at"}) == SessionRecord(
        id=session_id,
        user_id=user.id,
        persona_id="maria-confrontation",
        seed=2**40 + 3,
        engine="scripted",
        status=SessionStatus.ACTIVE,
        started_at=T0,
        turns=(
            opening,
            reply.model_copy(
                update={"evaluation": EVALUATION, "state": STATE_AFTER, "usage": USAGE}
            ),
        ),
    ).model_dump(exclude={"started_at"})
    assert stored.turns[0].created_at.utcoffset() == timedelta(0)
    assert stored.turns[1].evaluation == EVALUATION
    assert isinstance(stored.turns[1].evaluation.moves[0], RepairStrategy)
    assert stored.turns[0].state == opening.state
    assert stored.started_at.tzinfo is not None
    assert await store.get_session(session_id + 1000) is None


async def test_update_turn_without_usage_keeps_the_stored_usage(store: SqlPracticeStore) -> None:
    user = await store.get_or_create_user("telegram", "1")
    session_id = await store.create_session(user.id, "p", 1, "scripted")
    await store.append_turn(session_id, trainee_turn(1).model_copy(update={"usage": USAGE}))

    await store.update_turn(session_id, 1, evaluation=EVALUATION, state=STATE_AFTER)
    stored = await store.get_session(session_id)

    assert stored is not None
    assert stored.turns[0].usage == USAGE
    assert stored.turns[0].evaluation == EVALUATION


async def test_duplicate_turn_index_raises_turn_exists_and_keeps_the_first(
    store: SqlPracticeStore,
) -> None:
    user = await store.get_or_create_user("telegram", "1")
    session_id = await store.create_session(user.id, "p", 1, "scripted")
    await store.append_turn(session_id, patient_turn(0, "first"))

    with pytest.raises(TurnExists):
        await store.append_turn(session_id, patient_turn(0, "second"))
    await store.append_turn(session_id, trainee_turn(1))
    stored = await store.get_session(session_id)

    assert stored is not None
    assert [turn.text for turn in stored.turns] == ["first", trainee_turn(1).text]


async def test_writes_to_missing_rows_raise_lookup_error(store: SqlPracticeStore) -> None:
    user = await store.get_or_create_user("telegram", "1")

    with pytest.raises(LookupError):
        await store.create_session(user.id + 1000, "p", 1, "scripted")
    with pytest.raises(LookupError):
        await store.append_turn(12345, patient_turn(0))
    session_id = await store.create_session(user.id, "p", 1, "scripted")
    with pytest.raises(LookupError):
        await store.update_turn(session_id, 3, evaluation=EVALUATION, state=STATE_AFTER)
    with pytest.raises(LookupError):
        await store.finish_session(
            session_id + 1000, end_reason=EndReason.RESOLVED, resolution_rating=3, feedback={}
        )


async def test_replay_sessions_remember_their_origin(store: SqlPracticeStore) -> None:
    user = await store.get_or_create_user("telegram", "1")
    original = await store.create_session(user.id, "p", 1, "scripted")

    replay = await store.create_session(
        user.id, "p", 1, "scripted", replay_of=original, replay_from_turn=4
    )
    stored = await store.get_session(replay)

    assert stored is not None
    assert (stored.replay_of, stored.replay_from_turn) == (original, 4)


async def test_active_session_is_the_newest_unfinished_one(store: SqlPracticeStore) -> None:
    user = await store.get_or_create_user("telegram", "1")
    other = await store.get_or_create_user("telegram", "2")
    assert await store.active_session(user.id) is None
    older = await store.create_session(user.id, "p-old", 1, "scripted")
    newer = await store.create_session(user.id, "p-new", 2, "scripted")
    newest = await store.create_session(user.id, "p-newest", 3, "scripted")
    await store.create_session(other.id, "p-other", 4, "scripted")
    await store.append_turn(newer, patient_turn(0))

    await store.finish_session(
        newest, end_reason=EndReason.ENDED_BY_TRAINEE, resolution_rating=1, feedback={}
    )
    active = await store.active_session(user.id)

    assert active is not None
    assert active.id == newer
    assert active.turns == (patient_turn(0),)
    for session_id in (older, newer):
        await store.finish_session(
            session_id, end_reason=EndReason.TURN_LIMIT, resolution_rating=2, feedback={}
        )
    assert await store.active_session(user.id) is None


async def test_finish_session_stores_outcome_and_feedback(store: SqlPracticeStore) -> None:
    user = await store.get_or_create_user("telegram", "1")
    session_id = await store.create_session(user.id, "p", 1, "scripted")
    feedback: dict[str, Any] = {
        "summary": "Du hast den Bruch angesprochen.",
        "moves": {"acknowledge_contribution": 2},
        "ratings": [3, 4, 5],
        "resolved": True,
    }

    await store.finish_session(
        session_id, end_reason=EndReason.RESOLVED, resolution_rating=5, feedback=feedback
    )
    finished = await store.get_session(session_id)

    assert finished is not None
    assert finished.status is SessionStatus.FINISHED
    assert finished.end_reason is EndReason.RESOLVED
    assert finished.resolution_rating == 5
    assert finished.feedback == feedback
    assert finished.ended_at is not None
    assert finished.ended_at >= finished.started_at


async def test_list_sessions_newest_first_with_turn_counts(store: SqlPracticeStore) -> None:
    user = await store.get_or_create_user("telegram", "1")
    other = await store.get_or_create_user("telegram", "2")
    ids = [await store.create_session(user.id, f"p{n}", n, "scripted") for n in range(4)]
    await store.create_session(other.id, "not-mine", 9, "scripted")
    for index in range(3):
        await store.append_turn(ids[1], patient_turn(index))
    await store.finish_session(
        ids[1], end_reason=EndReason.RESOLVED, resolution_rating=4, feedback={}
    )

    summaries = await store.list_sessions(user.id)
    latest_two = await store.list_sessions(user.id, limit=2)

    assert [s.id for s in summaries] == ids[::-1]
    assert [s.persona_id for s in summaries] == ["p3", "p2", "p1", "p0"]
    by_id = {s.id: s for s in summaries}
    assert (by_id[ids[1]].turns, by_id[ids[1]].resolution_rating) == (3, 4)
    assert by_id[ids[1]].status is SessionStatus.FINISHED
    assert by_id[ids[0]].turns == 0
    assert [s.id for s in latest_two] == [ids[3], ids[2]]
    assert await store.list_sessions(user.id + 1000) == []


# --- export and erasure ----------------------------------------------------


async def test_export_user_is_json_ready_and_complete(store: SqlPracticeStore) -> None:
    user = await store.get_or_create_user("telegram", "1")
    stranger = await store.get_or_create_user("telegram", "2")
    await store.set_consent(user.id, True)
    session_id = await store.create_session(user.id, "maria", 1, "scripted")
    await store.append_turn(session_id, patient_turn(0))
    await store.append_turn(session_id, trainee_turn(1))
    await store.update_turn(session_id, 1, evaluation=EVALUATION, state=STATE_AFTER, usage=USAGE)
    await store.finish_session(
        session_id, end_reason=EndReason.RESOLVED, resolution_rating=4, feedback={"x": 1}
    )
    stranger_session = await store.create_session(stranger.id, "secret", 2, "scripted")
    await store.append_turn(stranger_session, patient_turn(0, "not yours"))

    exported = await store.export_user(user.id)
    decoded = json.loads(json.dumps(exported))

    assert decoded == exported
    assert decoded["user"]["id"] == user.id
    assert decoded["user"]["external_id"] == "1"
    assert decoded["user"]["consented"] is True
    [session] = decoded["sessions"]
    assert session["persona_id"] == "maria"
    assert session["status"] == "finished"
    assert session["feedback"] == {"x": 1}
    assert [turn["text"] for turn in session["turns"]] == [
        patient_turn(0).text,
        trainee_turn(1).text,
    ]
    assert session["turns"][1]["evaluation"]["moves"] == [
        "acknowledge_contribution",
        "explore_rupture",
    ]
    assert session["turns"][1]["usage"] == USAGE.model_dump()
    assert "not yours" not in json.dumps(decoded)
    with pytest.raises(LookupError):
        await store.export_user(stranger.id + 1000)


async def test_erase_user_removes_user_sessions_and_turns_only(
    store: SqlPracticeStore, engine: AsyncEngine
) -> None:
    user = await store.get_or_create_user("telegram", "1")
    keeper = await store.get_or_create_user("telegram", "2")
    first = await store.create_session(user.id, "p", 1, "scripted")
    replay = await store.create_session(user.id, "p", 1, "scripted", replay_of=first)
    for session_id in (first, replay):
        await store.append_turn(session_id, patient_turn(0))
        await store.append_turn(session_id, trainee_turn(1))
    kept_session = await store.create_session(keeper.id, "p", 1, "scripted")
    await store.append_turn(kept_session, patient_turn(0))

    await store.erase_user(user.id)
    await store.erase_user(user.id)

    assert await store.get_user(user.id) is None
    assert await store.get_session(first) is None
    assert await store.get_session(replay) is None
    assert await store.list_sessions(user.id) == []
    assert await count_rows(engine, "users") == 1
    assert await count_rows(engine, "practice_sessions") == 1
    assert await count_rows(engine, "turns") == 1
    kept = await store.get_session(kept_session)
    assert kept is not None
    assert len(kept.turns) == 1


async def test_erased_ids_are_not_handed_out_again(store: SqlPracticeStore) -> None:
    user = await store.get_or_create_user("telegram", "1")
    session_id = await store.create_session(user.id, "p", 1, "scripted")

    await store.erase_user(user.id)
    newcomer = await store.get_or_create_user("telegram", "2")
    new_session = await store.create_session(newcomer.id, "p", 1, "scripted")

    assert newcomer.id != user.id
    assert new_session != session_id


async def test_committed_turns_survive_a_new_engine(database_url: str) -> None:
    await upgrade_database(database_url)
    first_engine = create_engine_for(database_url)
    try:
        store = SqlPracticeStore(first_engine)
        user = await store.get_or_create_user("telegram", "1")
        session_id = await store.create_session(user.id, "p", 1, "scripted")
        await store.append_turn(session_id, patient_turn(0))
    finally:
        await first_engine.dispose()

    second_engine = create_engine_for(database_url)
    try:
        restored = await SqlPracticeStore(second_engine).active_session(user.id)
    finally:
        await second_engine.dispose()

    assert restored is not None
    assert restored.turns == (patient_turn(0),)


# --- SQLite connection settings and concurrency ----------------------------


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    await upgrade_database(url)
    return url


async def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(sqlite_url: str) -> None:
    engine = create_engine_for(sqlite_url)
    try:
        async with engine.connect() as connection:
            journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
            foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
            busy = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    finally:
        await engine.dispose()

    assert journal == "wal"
    assert foreign_keys == 1
    assert busy == 5000


async def test_concurrent_sqlite_writers_do_not_lock_each_other_out(sqlite_url: str) -> None:
    engines = [create_engine_for(sqlite_url), create_engine_for(sqlite_url)]
    try:
        stores = [SqlPracticeStore(engine) for engine in engines]
        user = await stores[0].get_or_create_user("telegram", "1")
        session_ids = [await store.create_session(user.id, "p", 1, "scripted") for store in stores]

        async def append(n: int) -> None:
            store = stores[n % 2]
            await store.append_turn(session_ids[n % 2], patient_turn(n // 2))
            await store.get_session(session_ids[(n + 1) % 2])

        await asyncio.gather(*(append(n) for n in range(20)))
        summaries = await stores[1].list_sessions(user.id)
    finally:
        for engine in engines:
            await engine.dispose()

    assert sorted(s.turns for s in summaries) == [10, 10]


async def test_sqlite_engine_creates_the_database_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'nested' / 'coach.db'}"

    await upgrade_database(url)

    assert (tmp_path / "data" / "nested" / "coach.db").is_file()


# --- URLs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///data/coach.db", "sqlite+aiosqlite:///data/coach.db"),
        ("sqlite+pysqlite:////abs/coach.db", "sqlite+aiosqlite:////abs/coach.db"),
        ("sqlite+aiosqlite:///coach.db", "sqlite+aiosqlite:///coach.db"),
        ("postgresql://u:pw@db:5432/coach", "postgresql+asyncpg://u:pw@db:5432/coach"),
        ("postgres://u@db/coach", "postgresql+asyncpg://u@db/coach"),
        ("postgresql+psycopg2://u@db/coach", "postgresql+asyncpg://u@db/coach"),
        (
            "postgresql://u@db/coach?sslmode=require",
            "postgresql+asyncpg://u@db/coach?ssl=require",
        ),
    ],
)
def test_plain_urls_are_upgraded_to_async_drivers(given: str, expected: str) -> None:
    assert async_url(given).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize("given", ["mysql://root:hunter2@db/coach", "not a url hunter2"])
def test_unusable_urls_say_what_to_write_without_echoing_secrets(given: str) -> None:
    with pytest.raises(DatabaseURLError) as caught:
        async_url(given)

    assert "sqlite:///" in str(caught.value)
    assert "hunter2" not in str(caught.value)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
async def test_a_turn_is_stored_after_the_server_dropped_the_connection() -> None:
    """A PostgreSQL restart (here: every connection of the database terminated) between two
    turns costs the next one a reconnect, not the trainee's reply."""
    async with scratch_postgres_database(TEST_DATABASE_URL) as url:
        await upgrade_database(url)
        engine = create_engine_for(url)
        store = SqlPracticeStore(engine)
        try:
            user = await store.get_or_create_user("telegram", "dropped")
            session_id = await store.create_session(user.id, "homework-pointless", 1, "scripted")
            await store.append_turn(session_id, patient_turn(0))
            assert await store.active_session(user.id) is not None  # pooled connections now
            admin = create_async_engine(
                async_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool
            )
            try:
                async with admin.connect() as connection:
                    killed = await connection.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = :name AND pid <> pg_backend_pid()"
                        ),
                        {"name": make_url(url).database},
                    )
                    assert killed.all(), "the store's connections were open"
            finally:
                await admin.dispose()

            await store.append_turn(session_id, trainee_turn(1))
            stored = await store.get_session(session_id)
            assert stored is not None
            assert [t.index for t in stored.turns] == [0, 1]
        finally:
            await engine.dispose()
