"""`SqlQuizPollStore`: `QuizPollStore` over SQLAlchemy (drills posted as group quiz polls)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.learning.quiz_polls import PostedQuiz
from bot.storage.db import read_sessions, write_sessions
from bot.storage.tables import QuizPollRow


class SqlQuizPollStore:
    """Quiz polls in SQLite or PostgreSQL; the engine belongs to the caller."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._write = write_sessions(engine)
        self._read = read_sessions(engine)

    async def remember_quiz(self, quiz: PostedQuiz) -> None:
        async with self._write() as db, db.begin():
            await db.merge(
                QuizPollRow(
                    poll_id=quiz.poll_id,
                    chat_id=quiz.chat_id,
                    message_id=quiz.message_id,
                    drill_id=quiz.drill_id,
                    option_ids=list(quiz.option_ids),
                    created_at=quiz.created_at,
                )
            )

    async def find_quiz(self, poll_id: str) -> PostedQuiz | None:
        async with self._read() as db:
            row = await db.get(QuizPollRow, poll_id)
            if row is None:
                return None
            return PostedQuiz(
                poll_id=row.poll_id,
                chat_id=row.chat_id,
                message_id=row.message_id,
                drill_id=row.drill_id,
                option_ids=tuple(row.option_ids),
                created_at=row.created_at,
            )

    async def posted_drills(self, chat_id: int) -> dict[str, datetime]:
        query = (
            select(QuizPollRow.drill_id, QuizPollRow.created_at)
            .where(QuizPollRow.chat_id == chat_id)
            .order_by(QuizPollRow.created_at)
        )
        async with self._read() as db:
            rows = await db.execute(query)
            return {drill_id: at for drill_id, at in rows}
