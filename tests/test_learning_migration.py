"""Migration 0002 (curriculum answers): down to 0001 and up again, keeping users and sessions."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

from bot.domain.evaluation import TurnEvaluation
from bot.domain.ids import RepairStrategy
from bot.learning.models import ModuleId, Noticed, RecognitionFamily
from bot.learning.records import DrillAttempt, PromptAttempt
from bot.storage import (
    SqlLearningStore,
    SqlPracticeStore,
    create_engine_for,
    database_revision,
    downgrade_database,
    head_revision,
    upgrade_database,
)
from bot.storage.migrate import MIGRATIONS, run_alembic
from tests.test_migrations import REBUILD_USERS, store_one_turn, table_names
from tests.test_storage import BACKENDS, TEST_DATABASE_URL, scratch_postgres_database

LEARNING_TABLES = {"learning_drill_attempts", "learning_prompt_attempts"}
NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'coach.db'}"
        return
    async with scratch_postgres_database(TEST_DATABASE_URL) as url:
        yield url


async def store_attempts(url: str, user_id: int) -> tuple[int, int]:
    engine = create_engine_for(url)
    try:
        store = SqlLearningStore(engine)
        drills = await store.add_drill_attempt(
            DrillAttempt(
                user_id=user_id,
                module_id=ModuleId.WITHDRAWAL,
                drill_id="wd-d01",
                noticed=Noticed.WITHDRAWAL_RUPTURE,
                detail="denial",
                noticed_correct=True,
                detail_correct=True,
                correct=True,
                family=RecognitionFamily.WITHDRAWAL,
                target="denial",
                created_at=NOW,
            )
        )
        prompts = await store.add_prompt_attempt(
            PromptAttempt(
                user_id=user_id,
                module_id=ModuleId.WITHDRAWAL,
                prompt_id="wd-p01",
                reply="I notice I've asked a lot today.",
                evaluation=TurnEvaluation(moves=(RepairStrategy.METACOMMUNICATION,), rating=4),
                rating=4,
                expected_moves=(RepairStrategy.METACOMMUNICATION, RepairStrategy.VALIDATE_DEFENSE),
                hit_moves=(RepairStrategy.METACOMMUNICATION,),
                created_at=NOW,
            )
        )
        return drills, prompts
    finally:
        await engine.dispose()


async def attempts(url: str, user_id: int) -> tuple[list[DrillAttempt], list[PromptAttempt]]:
    engine = create_engine_for(url)
    try:
        store = SqlLearningStore(engine)
        return await store.drill_attempts(user_id), await store.prompt_attempts(user_id)
    finally:
        await engine.dispose()


async def test_learning_tables_come_and_go_with_revision_0002(database_url: str) -> None:
    await upgrade_database(database_url)
    user_id = await store_one_turn(database_url, "trainee")
    await store_attempts(database_url, user_id)
    drills, prompts = await attempts(database_url, user_id)
    assert [d.drill_id for d in drills] == ["wd-d01"]
    assert prompts[0].hit_moves == (RepairStrategy.METACOMMUNICATION,)
    assert prompts[0].created_at == NOW

    await downgrade_database(database_url, "0001")
    assert await database_revision(database_url) == "0001"
    assert not (await table_names(database_url)) & LEARNING_TABLES
    engine = create_engine_for(database_url)
    try:
        kept = await SqlPracticeStore(engine).active_session(user_id)
    finally:
        await engine.dispose()
    assert kept is not None and [t.text for t in kept.turns] == ["hm."]

    await upgrade_database(database_url)
    assert await table_names(database_url) >= LEARNING_TABLES
    assert await attempts(database_url, user_id) == ([], [])
    await store_attempts(database_url, user_id)
    assert len((await attempts(database_url, user_id))[0]) == 1


async def test_a_users_table_rebuild_keeps_curriculum_answers(tmp_path: Path) -> None:
    """A later SQLite rebuild of `users` must not cascade-delete everyone's attempts."""
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    rebuild = REBUILD_USERS.replace("HEAD", head_revision() or "")
    (scripts / "versions" / "9999_rebuild_users.py").write_text(rebuild)
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    await upgrade_database(url)
    user_id = await store_one_turn(url, "1")
    await store_attempts(url, user_id)

    def upgrade_with_rebuild(config: Config) -> None:
        config.set_main_option("script_location", str(scripts))
        command.upgrade(config, "head")

    await run_alembic(url, upgrade_with_rebuild)
    drills, prompts = await attempts(url, user_id)

    assert [d.drill_id for d in drills] == ["wd-d01"]
    assert [p.prompt_id for p in prompts] == ["wd-p01"]
