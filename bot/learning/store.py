"""The storage protocol the curriculum needs; `bot.storage` implements it with SQLAlchemy."""

from __future__ import annotations

from typing import Protocol

from bot.learning.records import DrillAttempt, PromptAttempt


class LearningStore(Protocol):
    async def add_drill_attempt(self, attempt: DrillAttempt) -> int:
        """Store an answer and return its id (`LookupError` if the user does not exist)."""
        ...

    async def set_drill_detail(
        self, user_id: int, drill_id: str, detail: str, detail_correct: bool
    ) -> bool:
        """Add the finer answer to the user's newest answer to `drill_id` that has none yet
        (a group's second quiz); its overall correctness follows. False if there is none."""
        ...

    async def add_prompt_attempt(self, attempt: PromptAttempt) -> int:
        """Store an answer and return its id (`LookupError` if the user does not exist)."""
        ...

    async def drill_attempts(
        self, user_id: int, module_id: str | None = None
    ) -> list[DrillAttempt]:
        """The user's drill answers, oldest first, optionally for one module."""
        ...

    async def prompt_attempts(
        self, user_id: int, module_id: str | None = None
    ) -> list[PromptAttempt]:
        """The user's prompt answers, oldest first, optionally for one module."""
        ...
