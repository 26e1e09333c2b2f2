"""Stored shapes of users, practice sessions and turns (plain pydantic, no SQL)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.evaluation import TokenUsage, TurnEvaluation
from bot.domain.ids import Speaker
from bot.domain.state import PatientState


class SessionStatus(StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"


class EndReason(StrEnum):
    RESOLVED = "resolved"
    TURN_LIMIT = "turn_limit"
    ENDED_BY_TRAINEE = "ended_by_trainee"
    ABANDONED = "abandoned"


class UserRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    channel: str = Field(description="'telegram' or 'terminal'")
    external_id: str
    consented: bool = False
    language: str | None = None
    active: bool = Field(default=True, description="False once they blocked the bot")
    created_at: datetime


class TurnRecord(BaseModel):
    """One utterance. Index 0 is the patient's opening; trainee and patient alternate."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(ge=0)
    speaker: Speaker
    text: str
    created_at: datetime
    state: PatientState | None = Field(default=None, description="patient state after the turn")
    evaluation: TurnEvaluation | None = None
    usage: TokenUsage | None = None
    engine: str | None = Field(default=None, description="patient engine or judge that produced it")


class SessionRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    user_id: int
    persona_id: str
    seed: int
    engine: str
    status: SessionStatus
    started_at: datetime
    ended_at: datetime | None = None
    end_reason: EndReason | None = None
    resolution_rating: int | None = None
    feedback: dict[str, Any] | None = None
    replay_of: int | None = None
    replay_from_turn: int | None = None
    turns: tuple[TurnRecord, ...] = ()


class SessionSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    persona_id: str
    status: SessionStatus
    started_at: datetime
    resolution_rating: int | None
    turns: int
