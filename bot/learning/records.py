"""Stored shapes of a trainee's curriculum work (plain pydantic, no SQL).

"Where did I leave off?" is derived from these attempts, so nothing else is stored.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.evaluation import TurnEvaluation
from bot.domain.ids import RepairStrategy
from bot.learning.models import ModuleId, Noticed, RecognitionFamily


class DrillAttempt(BaseModel):
    """One answer to a recognition drill, with the truth it was scored against."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    user_id: int
    module_id: ModuleId
    drill_id: str
    noticed: Noticed
    detail: str | None = Field(default=None, description="the finer answer, if it was asked")
    noticed_correct: bool
    detail_correct: bool | None = Field(default=None, description="None: not asked")
    correct: bool
    family: RecognitionFamily = Field(description="what the drill shows (the right answer)")
    target: str | None = Field(default=None, description="the right marker, strategy or pitfall id")
    created_at: datetime


class PromptAttempt(BaseModel):
    """One free-text answer to a prompt exercise and what the judge made of it."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    user_id: int
    module_id: ModuleId
    prompt_id: str
    reply: str = Field(description="the trainee's own text (exported and erased with the user)")
    evaluation: TurnEvaluation
    rating: int = Field(ge=1, le=5)
    expected_moves: tuple[RepairStrategy, ...]
    hit_moves: tuple[RepairStrategy, ...]
    created_at: datetime
