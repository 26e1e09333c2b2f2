"""The protocol every simulated-patient engine (scripted, LLM) follows."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict

from bot.domain.evaluation import TokenUsage, TurnEvaluation, Utterance
from bot.domain.persona import Persona
from bot.domain.state import PatientState


class PatientReply(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    engine: str
    usage: TokenUsage | None = None
    fell_back: bool = False


class PatientTurnRequest(BaseModel):
    """What an engine needs to produce the patient's next line."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    persona: Persona
    history: tuple[Utterance, ...]
    state: PatientState
    evaluation: TurnEvaluation | None
    seed: int


class PatientEngine(Protocol):
    name: str
    #: True when answering waits for a model server (the chat shows "typing…" first)
    calls_model: bool

    async def respond(self, request: PatientTurnRequest) -> PatientReply: ...
