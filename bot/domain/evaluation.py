"""What a judge says about one trainee reply, and the protocol every judge follows."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.ids import Pitfall, RepairStrategy, RuptureType, Speaker

Language = Literal["en", "de"]


class Utterance(BaseModel):
    model_config = ConfigDict(frozen=True)

    speaker: Speaker
    text: str


class RuptureMoment(BaseModel):
    """The reply to judge and the conversation it answers (quoted data, never instructions)."""

    model_config = ConfigDict(frozen=True)

    lang: Language = "en"
    rupture: RuptureType
    marker: str | None = None
    context: tuple[Utterance, ...] = ()
    reply: str


class TokenUsage(BaseModel):
    model_config = ConfigDict(frozen=True)

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0


class TurnEvaluation(BaseModel):
    """Rubric-based evaluation of one reply: moves, pitfalls, a 1-5 rating and evidence."""

    model_config = ConfigDict(frozen=True)

    moves: tuple[RepairStrategy, ...] = ()
    pitfalls: tuple[Pitfall, ...] = ()
    rating: int = Field(ge=1, le=5)
    evidence: dict[str, str] = Field(
        default_factory=dict, description="move or pitfall id -> a quote from the reply"
    )
    feedback: str = ""
    judge: str = "rules"
    usage: TokenUsage | None = None


class Judge(Protocol):
    """Evaluates one trainee reply against the rubric."""

    name: str
    #: True when evaluating waits for a model server: the service then stores the
    #: evaluation before the patient's turn and the chat shows "typing…"
    calls_model: bool

    async def evaluate(self, moment: RuptureMoment) -> TurnEvaluation: ...
