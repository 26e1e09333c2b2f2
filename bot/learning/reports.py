"""What a trainee's attempts add up to: module status, progress over time, what next.

The shapes the curriculum service returns (transport-neutral pydantic models).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.domain.ids import RepairStrategy
from bot.learning.models import ModuleId, RecognitionFamily


class ModuleStatus(BaseModel):
    """One row of the /learn menu."""

    model_config = ConfigDict(frozen=True)

    module_id: ModuleId
    title: str
    theory_pages: int
    drills_total: int
    drills_answered: int
    drills_correct: int
    accuracy: float | None
    prompts_total: int
    prompts_done: int
    mean_rating: float | None
    state: Literal["to_do", "in_progress", "done"]

    @property
    def done(self) -> bool:
        return self.state == "done"


class TrendPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    attempt: int
    at: datetime
    correct: bool
    accuracy: float


class FamilyProgress(BaseModel):
    """How well the trainee recognises one family (confrontation, withdrawal, …)."""

    model_config = ConfigDict(frozen=True)

    family: RecognitionFamily
    attempts: int
    correct: int
    accuracy: float | None
    trend: tuple[TrendPoint, ...] = ()


class SkillProgress(BaseModel):
    """How often a repair move the prompts asked for showed up in the trainee's replies."""

    model_config = ConfigDict(frozen=True)

    skill: RepairStrategy
    expected: int
    hit: int
    rate: float | None
    used: int
    trend: tuple[TrendPoint, ...] = ()


class WeekSummary(BaseModel):
    """One calendar week (Monday, UTC) of curriculum work."""

    model_config = ConfigDict(frozen=True)

    week_start: date
    drills: int
    drill_accuracy: float | None
    prompts: int
    mean_rating: float | None


class Suggestion(BaseModel):
    """The next exercise to do, and why."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["drill", "prompt"]
    module_id: ModuleId
    item_id: str
    focus: str
    reason: Literal["weakest", "untried", "start", "resume"]
    rate: float | None = None


class Progress(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: int
    drills_answered: int
    prompts_answered: int
    recognition: tuple[FamilyProgress, ...]
    skills: tuple[SkillProgress, ...]
    weeks: tuple[WeekSummary, ...] = ()
    suggestion: Suggestion | None
