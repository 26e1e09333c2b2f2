"""Turning practice data into Telegram HTML and plain-text documents.

Every piece of text that a user, a patient or a persona file wrote passes through
`esc` before it meets markup; the interface texts themselves are trusted content.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.domain.feedback import Moment, SessionFeedback, Sighting
from bot.domain.ids import Speaker
from bot.domain.persona import Persona
from bot.domain.rubric import Rubric
from bot.practice.records import SessionRecord, SessionStatus
from bot.telegram.texts import UiTexts

SNIPPET_CHARS = 28


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def fill(template: str, **values: object) -> str:
    """Fill a trusted template with escaped values."""
    return template.format(**{key: esc(value) for key, value in values.items()})


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def stars(texts: UiTexts, difficulty: int) -> str:
    return texts.difficulty_mark * difficulty


def persona_card(texts: UiTexts, persona: Persona) -> str:
    return texts.persona_card.format(
        title=esc(persona.title),
        difficulty=stars(texts, persona.difficulty),
        language=esc(texts.language_labels.get(persona.language, "")),
        summary=esc(persona.summary),
    )


def persona_cards(texts: UiTexts, personas: Sequence[Persona]) -> str:
    return "\n\n".join([texts.choose_persona, *(persona_card(texts, p) for p in personas)])


def session_header(texts: UiTexts, persona: Persona) -> str:
    p = persona.patient
    return fill(
        texts.session_header,
        title=persona.title,
        name=p.name,
        age=p.age,
        modality=p.modality,
        session_number=p.session_number,
        situation=persona.situation,
    )


def patient_line(texts: UiTexts, persona: Persona, line: str) -> str:
    return fill(texts.patient_line, name=persona.patient.name, line=line)


def _quote(text: str) -> str:
    return f"<i>“{esc(text)}”</i>"


def _sightings(rubric: Rubric, items: Sequence[Sighting], empty_key: str) -> list[str]:
    if not items:
        return [esc(rubric.phrase(empty_key))]
    turn = esc(rubric.phrase("turn"))
    return [f"• <b>{esc(s.name)}</b> ({turn} {s.turn}): {_quote(s.quote)}" for s in items]


def _moment(rubric: Rubric, label_key: str, moment: Moment) -> str:
    head = (
        f"<b>{esc(rubric.phrase(label_key))}</b> "
        f"({esc(rubric.phrase('turn'))} {moment.turn}, {moment.rating}/5)"
    )
    lines = [head, _quote(moment.reply)]
    if moment.note:
        lines.append(esc(moment.note))
    return "\n".join(lines)


def feedback_html(
    texts: UiTexts, rubric: Rubric, persona: Persona, feedback: SessionFeedback
) -> str:
    """The whole feedback as paragraphs separated by blank lines (the split points)."""
    p = rubric.phrase
    rating = feedback.resolution_rating
    meter = "●" * rating + "○" * (5 - rating)
    paragraphs = [
        fill(texts.feedback_title, title=persona.title)
        + "\n"
        + esc(texts.ended(feedback.end_reason)),
        f"<b>{esc(p('resolution'))}: {rating}/5</b> {meter}\n{esc(feedback.resolution_label)}",
        "\n".join(
            [f"<b>{esc(p('moves_used'))}</b>", *_sightings(rubric, feedback.moves, "no_moves")]
        ),
        "\n".join(
            [f"<b>{esc(p('pitfalls'))}</b>", *_sightings(rubric, feedback.pitfalls, "no_pitfalls")]
        ),
    ]
    if feedback.best is not None:
        paragraphs.append(_moment(rubric, "best_moment", feedback.best))
    if feedback.weakest is not None:
        paragraphs.append(_moment(rubric, "weakest_moment", feedback.weakest))
    paragraphs.append(
        f"<b>{esc(p('suggestion'))}:</b> {esc(feedback.suggestion)}\n"
        f"<b>{esc(p('model_reply'))}:</b> {_quote(feedback.model_reply)}"
    )
    return "\n\n".join(paragraphs)


def rating_label(texts: UiTexts, status: SessionStatus, rating: int | None) -> str:
    if status is SessionStatus.ACTIVE:
        return texts.history_running
    if rating is None:
        return texts.history_unrated
    return texts.history_rating.format(rating=rating)


def transcript_text(texts: UiTexts, persona: Persona, session: SessionRecord) -> str:
    """A plain-text transcript (a document, so no markup and no escaping)."""
    date = session.started_at.strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"{persona.title} · {date}", ""]
    for turn in session.turns:
        who = persona.patient.name if turn.speaker is Speaker.PATIENT else texts.transcript_trainee
        lines.append(f"{who}: {turn.text}")
        lines.append("")
    if session.feedback is not None:
        feedback = SessionFeedback.model_validate(session.feedback)
        lines.append(f"{feedback.resolution_rating}/5 · {feedback.resolution_label}")
    return "\n".join(lines).rstrip() + "\n"
