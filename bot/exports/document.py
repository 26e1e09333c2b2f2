"""What an export shows: the conversation with the coach's annotations, plus the outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.charts import tension_chart
from bot.domain.feedback import SessionFeedback
from bot.domain.ids import Pitfall, RepairStrategy, Speaker, TensionBand
from bot.domain.persona import Persona
from bot.domain.rubric import Rubric
from bot.practice.records import SessionRecord


@dataclass(frozen=True)
class ExportTurn:
    speaker: str  # the patient's name or the trainee's label
    is_trainee: bool
    number: int  # reply number (0 = the opening)
    text: str
    notes: tuple[str, ...] = ()  # one line each: marker, moves, pitfalls, tension


@dataclass(frozen=True)
class ExportDocument:
    title: str
    subtitle: str
    situation: str
    trainee_label: str
    date: str
    turns: tuple[ExportTurn, ...]
    outcome: tuple[str, ...] = ()
    chart_png: bytes | None = field(default=None, repr=False)

    @property
    def filename_stem(self) -> str:
        return "transcript"


def _name(rubric: Rubric, item: str) -> str:
    if item in RepairStrategy._value2member_map_:
        return rubric.criterion(RepairStrategy(item)).name
    if item in Pitfall._value2member_map_:
        return rubric.criterion(Pitfall(item)).name
    return item.replace("_", " ").capitalize()


def build_document(
    session: SessionRecord,
    persona: Persona,
    rubric: Rubric,
    trainee_label: str,
    *,
    with_chart: bool = True,
) -> ExportDocument:
    """`trainee_label` is a pseudonym unless the owner asked for their name."""
    turns: list[ExportTurn] = []
    previous = None
    reply = 0
    for turn in session.turns:
        state = turn.state
        notes: list[str] = []
        if turn.speaker is Speaker.TRAINEE:
            reply += 1
            e = turn.evaluation
            if e is not None:
                notes.append(
                    f"{rubric.phrase('moves_used')}: "
                    + (", ".join(_name(rubric, m) for m in e.moves) or "—")
                )
                if e.pitfalls:
                    notes.append(
                        f"{rubric.phrase('pitfalls')}: "
                        + ", ".join(_name(rubric, p) for p in e.pitfalls)
                    )
                notes.append(f"rating {e.rating}/5")
            if state is not None and previous is not None:
                notes.append(
                    f"{rubric.phrase('tension')}: {previous.tension} → {state.tension} · "
                    f"{state.stage.value.replace('_', ' ')}"
                )
            turns.append(ExportTurn(trainee_label, True, reply, turn.text, tuple(notes)))
        else:
            if state is not None and state.band is not TensionBand.LOW:
                notes.append("marker: " + ", ".join(_name(rubric, str(m)) for m in persona.markers))
            if state is not None:
                notes.append(f"{rubric.phrase('tension')}: {state.tension}/10")
            turns.append(ExportTurn(persona.patient.name, False, reply, turn.text, tuple(notes)))
        previous = state or previous
    outcome: list[str] = []
    chart = None
    if session.feedback is not None:
        feedback = SessionFeedback.model_validate(session.feedback)
        outcome = [
            f"{rubric.phrase('resolution')}: {feedback.resolution_rating}/5 — "
            f"{feedback.resolution_label}",
            f"{rubric.phrase('moves_used')}: "
            + (", ".join(m.name for m in feedback.moves) or rubric.phrase("no_moves")),
            f"{rubric.phrase('pitfalls')}: "
            + (", ".join(m.name for m in feedback.pitfalls) or rubric.phrase("no_pitfalls")),
            f"{rubric.phrase('suggestion')}: {feedback.suggestion}",
        ]
        if with_chart and len(feedback.tension) > 1:
            chart = tension_chart(
                feedback,
                f"{persona.title}: {rubric.phrase('tension').lower()}",
                turn_label=rubric.phrase("turn"),
                tension_label=rubric.phrase("tension"),
            )
    p = persona.patient
    return ExportDocument(
        title=persona.title,
        subtitle=f"{p.name}, {p.age} · {p.modality}, session {p.session_number}",
        situation=persona.situation,
        trainee_label=trainee_label,
        date=session.started_at.strftime("%Y-%m-%d"),
        turns=tuple(turns),
        outcome=tuple(outcome),
        chart_png=chart,
    )
