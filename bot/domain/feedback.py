"""End-of-session feedback and hints, built from per-turn evaluations and the rubric.

Research on simulated-patient practice found feedback, not practice alone, is what
improves skills, so every session ends with: a 3RS-style resolution rating, the
moves used (with the trainee's own words), pitfalls, the best and weakest moment,
and one concrete suggestion with a model reply for the weakest moment.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.evaluation import TurnEvaluation
from bot.domain.ids import RepairStrategy
from bot.domain.next_move import next_repair_move
from bot.domain.persona import Persona
from bot.domain.rubric import Rubric
from bot.domain.state import RESOLVED_TENSION, PatientState


class EvaluatedReply(BaseModel):
    """A trainee reply with what the judge found (input to feedback)."""

    model_config = ConfigDict(frozen=True)

    turn: int = Field(description="trainee turn number, 1-based")
    text: str
    evaluation: TurnEvaluation
    state_after: PatientState


class Sighting(BaseModel):
    """Where a move or pitfall first showed, in the trainee's own words."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    turn: int
    quote: str


class Moment(BaseModel):
    model_config = ConfigDict(frozen=True)

    turn: int
    reply: str
    rating: int
    note: str


class SessionFeedback(BaseModel):
    model_config = ConfigDict(frozen=True)

    persona_id: str
    language: str
    end_reason: str
    resolution_rating: int = Field(ge=1, le=5)
    resolution_label: str
    moves: list[Sighting]
    pitfalls: list[Sighting]
    best: Moment | None
    weakest: Moment | None
    suggestion: str
    model_reply: str
    suggested_move: RepairStrategy
    tension: list[int] = Field(description="initial tension, then after each trainee reply")
    turn_moves: list[list[str]] = Field(description="move ids per trainee reply, for the chart")
    turn_pitfalls: list[list[str]] = Field(
        default_factory=list, description="pitfall ids per trainee reply, for the chart"
    )


def resolution_rating(persona: Persona, initial: PatientState, final: PatientState) -> int:
    """1 = unresolved or worse ... 5 = fully resolved (the 3RS session scale)."""
    if final.turn == 0:
        return 1
    stage_index = persona.stage_sequence.index(final.stage)
    drop = initial.tension - final.tension
    if final.resolved and stage_index == 2:
        return 5
    if final.resolved or final.tension <= RESOLVED_TENSION:
        return 4
    if drop >= 2 or stage_index >= 1:
        return 3
    if drop >= 1:
        return 2
    return 1


def hint(persona: Persona, rubric: Rubric, state: PatientState, last: TurnEvaluation | None) -> str:
    """A nudge toward a repair move: what to aim for, never the reply itself."""
    move = next_repair_move(
        persona.rupture_type, persona.markers[0], state.moves_seen, last.pitfalls if last else ()
    )
    criterion = rubric.criterion(move)
    return f"{rubric.phrase('hint_prefix')} {criterion.name}. {criterion.tip}"


def _sightings(replies: Sequence[EvaluatedReply], rubric: Rubric, pitfalls: bool) -> list[Sighting]:
    seen: dict[str, Sighting] = {}
    for reply in replies:
        ids = reply.evaluation.pitfalls if pitfalls else reply.evaluation.moves
        for item in ids:
            if item in seen:
                continue
            quote = reply.evaluation.evidence.get(item) or reply.text
            seen[item] = Sighting(
                id=item, name=rubric.criterion(item).name, turn=reply.turn, quote=quote
            )
    return list(seen.values())


def build_feedback(
    persona: Persona,
    rubric: Rubric,
    initial: PatientState,
    replies: Sequence[EvaluatedReply],
    end_reason: str,
) -> SessionFeedback:
    final = replies[-1].state_after if replies else initial
    rating = resolution_rating(persona, initial, final)
    weakest = min(replies, key=lambda r: (r.evaluation.rating, r.turn), default=None)
    if weakest is not None and weakest.evaluation.rating > 3:
        weakest = None
    best = max(replies, key=lambda r: (r.evaluation.rating, -r.turn), default=None)
    if best is not None and (best.evaluation.rating < 3 or best is weakest):
        best = None
    focus = weakest or (replies[-1] if replies else None)
    move = next_repair_move(
        persona.rupture_type,
        persona.markers[0],
        final.moves_seen,
        focus.evaluation.pitfalls if focus else (),
    )
    criterion = rubric.criterion(move)
    return SessionFeedback(
        persona_id=persona.id,
        language=persona.language,
        end_reason=end_reason,
        resolution_rating=rating,
        resolution_label=rubric.phrase(f"resolution_{rating}"),
        moves=_sightings(replies, rubric, pitfalls=False),
        pitfalls=_sightings(replies, rubric, pitfalls=True),
        best=_moment(best) if best else None,
        weakest=_moment(weakest) if weakest else None,
        suggestion=criterion.tip,
        model_reply=criterion.examples[0],
        suggested_move=move,
        tension=[initial.tension, *(r.state_after.tension for r in replies)],
        turn_moves=[[str(m) for m in r.evaluation.moves] for r in replies],
        turn_pitfalls=[[str(p) for p in r.evaluation.pitfalls] for r in replies],
    )


def _moment(reply: EvaluatedReply) -> Moment:
    return Moment(
        turn=reply.turn,
        reply=reply.text,
        rating=reply.evaluation.rating,
        note=reply.evaluation.feedback,
    )
