"""SQLite writers in one process queue for the write lock instead of failing when it is busy."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.ids import Speaker
from bot.practice.records import TurnRecord
from bot.storage import SqlPracticeStore, create_engine_for, db, upgrade_database

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
