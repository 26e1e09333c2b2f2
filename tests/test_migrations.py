"""Alembic migrations: up, down and up again on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.domain.ids import Speaker
from bot.practice.records import TurnRecord
from bot.storage import (
    SqlPracticeStore,
    create_engine_for,
    database_revision,
    downgrade_database,
    head_revision,
    upgrade_database,
)
from bot.storage.migrate import MIGRATIONS, alembic_config, run_alembic, run_on_connection
from tests.test_storage import BACKENDS, TEST_DATABASE_URL, scratch_postgres_database

ROOT = Path(__file__).resolve().parent.parent
TABLES = {
    "users",
    "practice_sessions",
    "turns",
    "learning_drill_attempts",
    "learning_prompt_attempts",
    "cohorts",
    "cohort_members",
    "cohort_invites",
    "cohort_assignments",
    "authored_personas",
    "persona_principles",
    "session_shares",
    "share_views",
    "cohort_groups",
    "group_reviews",
    "group_review_polls",
    "learning_quiz_polls",
}


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'coach.db'}"
        return
    async with scratch_postgres_database(TEST_DATABASE_URL) as url:
        yield url


async def table_names(url: str) -> set[str]:
    engine = create_engine_for(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def store_one_turn(url: str, external_id: str) -> int:
    engine = create_engine_for(url)
    try:
        store = SqlPracticeStore(engine)
        user = await store.get_or_create_user("telegram", external_id)
        session_id = await store.create_session(user.id, "p", 1, "scripted")
        await store.append_turn(
            session_id,
            TurnRecord(index=0, speaker=Speaker.PATIENT, text="hm.", created_at=datetime.now(UTC)),
        )
        return user.id
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    assert await database_revision(database_url) is None

    await upgrade_database(database_url)
    assert await database_revision(database_url) == head_revision()
    assert await table_names(database_url) == TABLES
    await store_one_turn(database_url, "before-downgrade")

    await downgrade_database(database_url)
    assert await database_revision(database_url) is None
    assert await table_names(database_url) == set()

    await upgrade_database(database_url)
    assert await database_revision(database_url) == head_revision()
    user_id = await store_one_turn(database_url, "after-reupgrade")
    engine = create_engine_for(database_url)
    try:
        assert await SqlPracticeStore(engine).get_user(user_id) is not None
    finally:
        await engine.dispose()


async def test_data_survives_a_repeated_upgrade(database_url: str) -> None:
    await upgrade_database(database_url)
    user_id = await store_one_turn(database_url, "1")

    await upgrade_database(database_url)
    engine = create_engine_for(database_url)
    try:
        active = await SqlPracticeStore(engine).active_session(user_id)
    finally:
        await engine.dispose()

    assert active is not None
    assert [turn.text for turn in active.turns] == ["hm."]


async def test_processes_starting_together_migrate_once(database_url: str) -> None:
    upgrade = "import asyncio, sys; from bot.storage import upgrade_database; " + (
        "asyncio.run(upgrade_database(sys.argv[1]))"
    )
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            upgrade,
            database_url,
            cwd=ROOT,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    errors = [(await process.communicate())[1].decode() for process in processes]

    assert [process.returncode for process in processes] == [0, 0, 0], errors
    assert await database_revision(database_url) == head_revision()
    assert await table_names(database_url) == TABLES


async def test_upgrades_within_one_process_take_turns(database_url: str) -> None:
    await asyncio.gather(*(upgrade_database(database_url) for _ in range(3)))

    assert await database_revision(database_url) == head_revision()


async def test_migrations_match_the_orm_tables(database_url: str) -> None:
    """Autogenerate finds nothing to add: the migrations build what the models describe."""
    await upgrade_database(database_url)
    engine = create_engine_for(database_url)

    def check(connection: Connection) -> None:
        run_on_connection(connection, command.check)

    try:
        async with engine.connect() as connection:
            await connection.run_sync(check)
    finally:
        await engine.dispose()


REBUILD_USERS = '''"""Widen users.language (a SQLite table rebuild)."""

import sqlalchemy as sa
from alembic import op

revision = "rebuild_users"
down_revision = "HEAD"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.alter_column("language", type_=sa.String(32))


def downgrade() -> None:
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.alter_column("language", type_=sa.String(16))
'''


async def test_sqlite_table_rebuild_keeps_sessions_and_turns(tmp_path: Path) -> None:
    """Rebuilding the users table must not cascade-delete everyone's sessions."""
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    rebuild = REBUILD_USERS.replace("HEAD", head_revision() or "")
    (scripts / "versions" / "9999_rebuild_users.py").write_text(rebuild)
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    await upgrade_database(url)
    user_id = await store_one_turn(url, "1")

    def upgrade_with_rebuild(config: Config) -> None:
        config.set_main_option("script_location", str(scripts))
        command.upgrade(config, "head")

    await run_alembic(url, upgrade_with_rebuild)
    engine = create_engine_for(url)
    try:
        active = await SqlPracticeStore(engine).active_session(user_id)
    finally:
        await engine.dispose()

    assert active is not None
    assert [turn.text for turn in active.turns] == ["hm."]


def test_migrations_run_from_a_plain_alembic_config(tmp_path: Path) -> None:
    """What a developer's ``command.upgrade(alembic_config(url), ...)`` does, outside the app."""
    url = f"sqlite:///{tmp_path / 'dev.db'}"

    command.upgrade(alembic_config(url), "head")

    assert asyncio.run(database_revision(url)) == head_revision()
    command.downgrade(alembic_config(url), "base")
    assert asyncio.run(database_revision(url)) is None
