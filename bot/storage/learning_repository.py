"""`SqlLearningStore`: `LearningStore` over SQLAlchemy, one short transaction per call.

The attempts belong to a user (ON DELETE CASCADE), so `SqlPracticeStore.erase_user`
removes them too; `SqlPracticeStore.export_user` includes them via `export_learning`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.domain.evaluation import TurnEvaluation
from bot.domain.ids import RepairStrategy
from bot.learning.models import ModuleId, Noticed, RecognitionFamily
from bot.learning.records import DrillAttempt, PromptAttempt
from bot.storage.db import read_sessions, write_sessions
from bot.storage.tables import DrillAttemptRow, PromptAttemptRow


class SqlLearningStore:
    """Drill and prompt attempts in SQLite or PostgreSQL; the engine belongs to the caller."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._write = write_sessions(engine)
        self._read = read_sessions(engine)

    async def add_drill_attempt(self, attempt: DrillAttempt) -> int:
        row = DrillAttemptRow(
            user_id=attempt.user_id,
            module_id=attempt.module_id.value,
            drill_id=attempt.drill_id,
            noticed=attempt.noticed.value,
            detail=attempt.detail,
            noticed_correct=attempt.noticed_correct,
            detail_correct=attempt.detail_correct,
            correct=attempt.correct,
            family=attempt.family.value,
            target=attempt.target,
            created_at=attempt.created_at,
        )
        return await self._add(row, attempt.user_id)

    async def set_drill_detail(
        self, user_id: int, drill_id: str, detail: str, detail_correct: bool
    ) -> bool:
        rows = DrillAttemptRow
        newest_open = (
            select(func.max(rows.id))
            .where(rows.user_id == user_id, rows.drill_id == drill_id, rows.detail.is_(None))
            .scalar_subquery()
        )
        change = (
            update(rows)
            .where(rows.id == newest_open)
            .values(
                detail=detail,
                detail_correct=detail_correct,
                correct=rows.noticed_correct if detail_correct else False,
            )
            .returning(rows.id)
            .execution_options(synchronize_session=False)
        )
        async with self._write() as db, db.begin():
            return (await db.scalar(change)) is not None

    async def add_prompt_attempt(self, attempt: PromptAttempt) -> int:
        row = PromptAttemptRow(
            user_id=attempt.user_id,
            module_id=attempt.module_id.value,
            prompt_id=attempt.prompt_id,
            reply=attempt.reply,
            evaluation=attempt.evaluation.model_dump(mode="json"),
            rating=attempt.rating,
            expected_moves=[m.value for m in attempt.expected_moves],
            hit_moves=[m.value for m in attempt.hit_moves],
            created_at=attempt.created_at,
        )
        return await self._add(row, attempt.user_id)

    async def drill_attempts(
        self, user_id: int, module_id: str | None = None
    ) -> list[DrillAttempt]:
        query = select(DrillAttemptRow).where(DrillAttemptRow.user_id == user_id)
        if module_id is not None:
            query = query.where(DrillAttemptRow.module_id == module_id)
        async with self._read() as db:
            rows = await db.scalars(query.order_by(DrillAttemptRow.id))
            return [_drill_attempt(row) for row in rows]

    async def prompt_attempts(
        self, user_id: int, module_id: str | None = None
    ) -> list[PromptAttempt]:
        query = select(PromptAttemptRow).where(PromptAttemptRow.user_id == user_id)
        if module_id is not None:
            query = query.where(PromptAttemptRow.module_id == module_id)
        async with self._read() as db:
            rows = await db.scalars(query.order_by(PromptAttemptRow.id))
            return [_prompt_attempt(row) for row in rows]

    async def _add(self, row: DrillAttemptRow | PromptAttemptRow, user_id: int) -> int:
        try:
            async with self._write() as db, db.begin():
                db.add(row)
                await db.flush()
                return row.id
        except IntegrityError as exc:
            raise LookupError(f"no user {user_id}") from exc


async def export_learning(db: AsyncSession, user_id: int) -> dict[str, Any]:
    """``{"drill_attempts": [...], "prompt_attempts": [...]}``, JSON-ready, oldest first."""
    drills = await db.scalars(
        select(DrillAttemptRow).where(DrillAttemptRow.user_id == user_id).order_by("id")
    )
    prompts = await db.scalars(
        select(PromptAttemptRow).where(PromptAttemptRow.user_id == user_id).order_by("id")
    )
    return {
        "drill_attempts": [_drill_attempt(row).model_dump(mode="json") for row in drills],
        "prompt_attempts": [_prompt_attempt(row).model_dump(mode="json") for row in prompts],
    }


def _drill_attempt(row: DrillAttemptRow) -> DrillAttempt:
    return DrillAttempt(
        id=row.id,
        user_id=row.user_id,
        module_id=ModuleId(row.module_id),
        drill_id=row.drill_id,
        noticed=Noticed(row.noticed),
        detail=row.detail,
        noticed_correct=row.noticed_correct,
        detail_correct=row.detail_correct,
        correct=row.correct,
        family=RecognitionFamily(row.family),
        target=row.target,
        created_at=row.created_at,
    )


def _prompt_attempt(row: PromptAttemptRow) -> PromptAttempt:
    return PromptAttempt(
        id=row.id,
        user_id=row.user_id,
        module_id=ModuleId(row.module_id),
        prompt_id=row.prompt_id,
        reply=row.reply,
        evaluation=TurnEvaluation.model_validate(row.evaluation),
        rating=row.rating,
        expected_moves=tuple(RepairStrategy(m) for m in row.expected_moves),
        hit_moves=tuple(RepairStrategy(m) for m in row.hit_moves),
        created_at=row.created_at,
    )
