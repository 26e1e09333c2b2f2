"""The simulated patient's hidden state and how each evaluated reply moves it.

Tension runs 0-10. A good repair lowers it by a bounded step (no instant
forgiveness); pitfalls raise it; ignoring the rupture keeps or raises it. The
stage follows the persona's 3RS progression and moves at most one step a turn.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.evaluation import TurnEvaluation
from bot.domain.ids import Pitfall, Stage, TensionBand
from bot.domain.persona import Persona

MAX_TENSION = 10
RESOLVED_TENSION = 3
RESOLVED_STREAK = 2
MAX_HARDENING_PER_TURN = 3
#: tension at or below which the patient may move into the second and third stage
STAGE_THRESHOLDS = (6, 3)


class PatientState(BaseModel):
    """Everything needed to restore the patient at any turn (stored after each turn)."""

    model_config = ConfigDict(frozen=True)

    tension: int = Field(ge=0, le=MAX_TENSION)
    stage: Stage
    turn: int = Field(default=0, ge=0, description="trainee replies taken so far")
    low_streak: int = Field(default=0, ge=0, description="consecutive turns at low tension")
    moves_seen: tuple[str, ...] = ()

    @property
    def band(self) -> TensionBand:
        return band_for(self.tension)

    @property
    def resolved(self) -> bool:
        return self.low_streak >= RESOLVED_STREAK


def band_for(tension: int) -> TensionBand:
    if tension >= 7:
        return TensionBand.HIGH
    if tension > RESOLVED_TENSION:
        return TensionBand.MEDIUM
    return TensionBand.LOW


def initial_state(persona: Persona) -> PatientState:
    return PatientState(tension=persona.dynamics.initial_tension, stage=persona.stage_sequence[0])


def tension_delta(persona: Persona, evaluation: TurnEvaluation) -> int:
    """Signed change in tension for one evaluated reply under this persona's sensitivities."""
    sens = persona.sensitivities
    hardening = sum(sens.hardened_by.get(p, 1) for p in evaluation.pitfalls)
    if hardening:
        return min(hardening, MAX_HARDENING_PER_TURN)
    if not evaluation.moves or evaluation.rating <= 2:
        return 0
    softening = max(
        sens.softened_by.get(m, 1 if evaluation.rating >= 4 else 0) for m in evaluation.moves
    )
    if evaluation.rating == 3:
        softening = min(softening, 1)
    return -min(softening, persona.dynamics.max_softening_per_turn)


def advance(persona: Persona, state: PatientState, evaluation: TurnEvaluation) -> PatientState:
    """The state after the trainee's reply has been evaluated."""
    tension = max(0, min(MAX_TENSION, state.tension + tension_delta(persona, evaluation)))
    sequence = persona.stage_sequence
    index = sequence.index(state.stage)
    if evaluation.pitfalls and tension > STAGE_THRESHOLDS[0] and index > 0:
        index -= 1
    elif index < 2 and tension <= STAGE_THRESHOLDS[index] and evaluation.rating >= 4:
        index += 1
    low_streak = state.low_streak + 1 if tension <= RESOLVED_TENSION else 0
    seen = list(state.moves_seen)
    seen.extend(m for m in evaluation.moves if m not in seen)
    return PatientState(
        tension=tension,
        stage=sequence[index],
        turn=state.turn + 1,
        low_streak=low_streak,
        moves_seen=tuple(seen),
    )


def hardened(evaluation: TurnEvaluation) -> Pitfall | None:
    """The pitfall the patient reacts to most, if any (for scripted reactions)."""
    order = (
        Pitfall.BLAMES_PATIENT,
        Pitfall.DEFENSIVE,
        Pitfall.PREMATURE_INTERPRETATION,
        Pitfall.IGNORES_RUPTURE,
    )
    return next((p for p in order if p in evaluation.pitfalls), None)
