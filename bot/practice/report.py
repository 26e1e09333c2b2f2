"""Feedback as plain text (the terminal); Telegram formats the same data as HTML."""

from __future__ import annotations

from bot.domain.feedback import SessionFeedback
from bot.domain.rubric import Rubric


def feedback_text(feedback: SessionFeedback, rubric: Rubric) -> str:
    p = rubric.phrase
    lines = [
        f"{p('resolution')}: {feedback.resolution_rating}/5 — {feedback.resolution_label}",
        "",
        f"{p('moves_used')}:",
    ]
    if feedback.moves:
        lines += [f"  • {m.name} ({p('turn')} {m.turn}): “{m.quote}”" for m in feedback.moves]
    else:
        lines.append(f"  {p('no_moves')}")
    lines += ["", f"{p('pitfalls')}:"]
    if feedback.pitfalls:
        lines += [f"  • {m.name} ({p('turn')} {m.turn}): “{m.quote}”" for m in feedback.pitfalls]
    else:
        lines.append(f"  {p('no_pitfalls')}")
    for label, moment in (
        (p("best_moment"), feedback.best),
        (p("weakest_moment"), feedback.weakest),
    ):
        if moment is not None:
            lines += [
                "",
                f"{label} ({p('turn')} {moment.turn}, {moment.rating}/5): “{moment.reply}”",
            ]
            if moment.note:
                lines.append(f"  {moment.note}")
    lines += [
        "",
        f"{p('suggestion')}: {feedback.suggestion}",
        f"{p('model_reply')}: “{feedback.model_reply}”",
        "",
        f"{p('tension')}: " + " → ".join(str(t) for t in feedback.tension),
    ]
    return "\n".join(lines)
