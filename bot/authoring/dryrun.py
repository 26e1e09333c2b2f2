"""A dry run: the persona played against scripted trainee replies, with its state trace.

How a trainer checks that a persona behaves as intended before trainees meet it:
each reply is judged, the patient's state moves (`advance`), and the patient answers.
Works with any judge and patient engine; the CLI and the upload preview use the
offline ones (rule judge, scripted patient), so a dry run is free and repeatable.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from bot.domain.engine import PatientEngine, PatientTurnRequest
from bot.domain.evaluation import Judge, RuptureMoment, TurnEvaluation, Utterance
from bot.domain.feedback import resolution_rating
from bot.domain.ids import Speaker
from bot.domain.persona import Persona
from bot.domain.state import PatientState, advance, initial_state

CONTEXT_UTTERANCES = 6


class DryRunTurn(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    reply: str
    evaluation: TurnEvaluation
    before: PatientState
    after: PatientState
    patient_line: str


class DryRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    persona_id: str
    title: str
    patient_name: str
    opening: str
    initial: PatientState
    turns: tuple[DryRunTurn, ...]
    end_reason: str
    resolution_rating: int
    engine: str
    judge: str


async def dry_run(
    persona: Persona,
    replies: Sequence[str],
    judge: Judge,
    patient: PatientEngine,
    seed: int = 1,
) -> DryRun:
    """Play `replies` in order until they run out, the rupture resolves or the turn limit."""
    state = initial = initial_state(persona)
    history: list[Utterance] = [Utterance(speaker=Speaker.PATIENT, text=persona.opening)]
    turns: list[DryRunTurn] = []
    end_reason = "replies_used_up"
    for number, reply in enumerate((r.strip() for r in replies if r.strip()), start=1):
        evaluation = await judge.evaluate(
            RuptureMoment(
                lang=persona.language,
                rupture=persona.rupture_type,
                marker=persona.markers[0],
                context=tuple(history[-CONTEXT_UTTERANCES:]),
                reply=reply,
            )
        )
        after = advance(persona, state, evaluation)
        history.append(Utterance(speaker=Speaker.TRAINEE, text=reply))
        answer = await patient.respond(
            PatientTurnRequest(
                persona=persona,
                history=tuple(history),
                state=after,
                evaluation=evaluation,
                seed=seed,
            )
        )
        history.append(Utterance(speaker=Speaker.PATIENT, text=answer.text))
        turns.append(
            DryRunTurn(
                number=number,
                reply=reply,
                evaluation=evaluation,
                before=state,
                after=after,
                patient_line=answer.text,
            )
        )
        state = after
        if state.resolved:
            end_reason = "resolved"
            break
        if state.turn >= persona.dynamics.turn_limit:
            end_reason = "turn_limit"
            break
    return DryRun(
        persona_id=persona.id,
        title=persona.title,
        patient_name=persona.patient.name,
        opening=persona.opening,
        initial=initial,
        turns=tuple(turns),
        end_reason=end_reason,
        resolution_rating=resolution_rating(persona, initial, state),
        engine=patient.name,
        judge=judge.name,
    )


END_REASONS = {
    "replies_used_up": "the scripted replies ran out",
    "resolved": "the rupture resolved",
    "turn_limit": "the turn limit was reached",
}


def _ids(items: Sequence[str]) -> str:
    return ", ".join(items) if items else "—"


def state_line(state: PatientState) -> str:
    return f"tension {state.tension} ({state.band.value}) · stage {state.stage.value}"


def trace_lines(run: DryRun, *, you: str = "You") -> list[str]:
    """The transcript with the state trace, as plain text lines (CLI; Telegram escapes them)."""
    lines = [f"[open] {run.patient_name}: {run.opening}", f"       {state_line(run.initial)}"]
    for turn in run.turns:
        e, before, after = turn.evaluation, turn.before, turn.after
        stage = (
            before.stage.value
            if before.stage is after.stage
            else f"{before.stage.value} → {after.stage.value}"
        )
        lines += [
            "",
            f"[{turn.number}] {you}: {turn.reply}",
            f"       moves: {_ids(e.moves)} · pitfalls: {_ids(e.pitfalls)} · rating {e.rating}/5",
            f"       tension {before.tension} → {after.tension} ({after.band.value}) · "
            f"stage {stage} · moves seen: {_ids(after.moves_seen)}",
            f"    {run.patient_name}: {turn.patient_line}",
        ]
    lines += [
        "",
        f"End: {END_REASONS.get(run.end_reason, run.end_reason)} after {len(run.turns)} "
        f"repl{'y' if len(run.turns) == 1 else 'ies'} · resolution {run.resolution_rating}/5",
    ]
    return lines
