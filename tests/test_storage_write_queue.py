"""SQLite writers in one process queue for the write lock instead of failing when it is busy."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

from bot.domain.ids import Speaker
from bot.practice.records import TurnRecord
from bot.storage import SqlPracticeStore, create_engine_for, db, transactions, upgrade_database

WRITERS = 24


async def test_a_burst_of_writers_on_two_engines_all_get_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'burst.db'}"
    await upgrade_database(url)
    # No grace from SQLite itself: a writer that finds the lock taken fails at once.
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 0)
    engines = [create_engine_for(url), create_engine_for(url)]
    stores = [SqlPracticeStore(engine) for engine in engines]
    try:
        users = [
            await stores[0].get_or_create_user("terminal", f"trainee-{n}") for n in range(WRITERS)
        ]
        sessions = await asyncio.gather(
            *(
                stores[n % 2].create_session(user.id, "homework-pointless", n, "scripted")
                for n, user in enumerate(users)
            )
        )
        opening = TurnRecord(
            index=0,
            speaker=Speaker.PATIENT,
            text="This is pointless.",
            created_at=datetime.now(UTC),
        )
        await asyncio.gather(
            *(stores[n % 2].append_turn(sid, opening) for n, sid in enumerate(sessions))
        )

        for user, session_id in zip(users, sessions, strict=True):
            active = await stores[1].active_session(user.id)
            assert active is not None
            assert active.id == session_id
            assert [t.text for t in active.turns] == ["This is pointless."]
    finally:
        for engine in engines:
            await engine.dispose()


@asynccontextmanager
async def one_session(path: Path) -> AsyncIterator[tuple[SqlPracticeStore, int]]:
    """A migrated SQLite file with one user and one empty session: (store, session id)."""
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_database(url)
    engine = create_engine_for(url)
    store = SqlPracticeStore(engine)
    try:
        user = await store.get_or_create_user("terminal", path.stem)
        yield store, await store.create_session(user.id, "homework-pointless", 1, "scripted")
    finally:
        await engine.dispose()


def line(index: int) -> TurnRecord:
    speaker = Speaker.PATIENT if index % 2 == 0 else Speaker.TRAINEE
    return TurnRecord(
        index=index, speaker=speaker, text=f"line {index}", created_at=datetime.now(UTC)
    )


async def test_a_write_that_finds_the_database_locked_waits_off_the_event_loop(
    tmp_path: Path,
) -> None:
    """Another process holds the write lock: the turn is stored once it is released, and the
    event loop keeps running meanwhile (it is the loop that releases the lock here)."""
    path = tmp_path / "locked.db"
    async with one_session(path) as (store, session_id):
        other = sqlite3.connect(path, isolation_level=None)  # "another process"
        other.execute("BEGIN IMMEDIATE")

        async def release_soon() -> None:
            await asyncio.sleep(0.3)
            other.execute("COMMIT")

        await asyncio.gather(store.append_turn(session_id, line(0)), release_soon())
        other.close()

        stored = await store.get_session(session_id)
        assert stored is not None
        assert [t.text for t in stored.turns] == ["line 0"]


async def test_the_wal_is_checkpointed_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transactions, "CHECKPOINT_EVERY", 5)
    path = tmp_path / "wal.db"
    async with one_session(path) as (store, session_id):
        for index in range(10):
            await store.append_turn(session_id, line(index))
        worker = transactions.SqliteWorker.acquire(store_url(path))
        try:
            assert worker._checkpoint is not None
            await worker._checkpoint
        finally:
            worker.release()
        check = sqlite3.connect(path)
        busy, log_frames, checkpointed = check.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        check.close()
        assert busy == 0 and log_frames == checkpointed


def store_url(path: Path) -> URL:
    return make_url(f"sqlite+aiosqlite:///{path}")
