"""The tension chart: how the patient's tension moved over a session, as a PNG.

Transport-neutral (Telegram sends it as a photo; exports can embed it). Matplotlib is
imported lazily, with the Agg backend, so importing this module costs nothing.
"""

from __future__ import annotations

import io
import threading
from typing import Any

from bot.domain.feedback import SessionFeedback
from bot.domain.state import MAX_TENSION, RESOLVED_TENSION

#: short labels for the move ids, so annotations stay readable on a phone
SHORT_LABELS: dict[str, str] = {
    "clarify_misunderstanding": "clarify",
    "change_task_or_goal": "change task",
    "provide_rationale": "rationale",
    "redirect_refocus": "refocus",
    "explore_rupture": "explore",
    "disclose_internal_experience": "disclose",
    "link_to_pattern": "link",
    "acknowledge_contribution": "acknowledge",
    "validate_defense": "validate",
    "metacommunication": "meta",
    "ignores_rupture": "ignored",
    "defensive": "defensive",
    "blames_patient": "blaming",
    "premature_interpretation": "too early",
}

_GOOD = "#2e7d32"
_BAD = "#c62828"
_LINE = "#1f4e79"
_LABEL_BOX = {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85}
# Matplotlib is not thread-safe (font and text caches); render one chart at a time.
_LOCK = threading.Lock()
#: above this tension, move labels go below the point so they stay inside the chart
HIGH_LABEL_TENSION = 7


def _label(
    axes: Any, turn: int, tension: int, lines: list[str], *, up: bool, color: str, bold: bool
) -> None:
    axes.annotate(
        "\n".join(lines),
        (turn, tension),
        xytext=(0, 12 if up else -14),
        textcoords="offset points",
        ha="center",
        va="bottom" if up else "top",
        fontsize=10,
        color=color,
        fontweight="bold" if bold else "normal",
        bbox=_LABEL_BOX,
        zorder=5,
        annotation_clip=False,
    )


def short_label(move_id: str) -> str:
    return SHORT_LABELS.get(move_id, move_id.replace("_", " "))


def tension_chart(
    feedback: SessionFeedback,
    title: str,
    *,
    turn_label: str = "turn",
    tension_label: str = "tension",
) -> bytes:
    """PNG bytes: x = turn (0 = the opening), y = tension 0-10, moves and pitfalls marked.

    The axis words come from the persona's rubric (``phrase("turn")``, ``phrase("tension")``),
    so a German session gets a German chart.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    turns = list(range(len(feedback.tension)))
    pitfall_turns: dict[int, list[str]] = {
        turn: [short_label(p) for p in pitfalls]
        for turn, pitfalls in enumerate(feedback.turn_pitfalls, start=1)
        if pitfalls
    }
    for sighting in feedback.pitfalls:  # feedback stored before per-turn pitfalls existed
        pitfall_turns.setdefault(sighting.turn, [short_label(sighting.id)])

    with _LOCK:
        figure = Figure(figsize=(7, 4.2), dpi=130, layout="constrained")
        axes = figure.add_subplot()
        last = max(turns[-1], 1)
        axes.axhspan(-0.5, RESOLVED_TENSION + 0.5, color=_GOOD, alpha=0.12, lw=0)
        axes.text(  # at the opening, which always starts above the band
            -0.4,
            RESOLVED_TENSION + 0.35,
            "resolved",
            ha="left",
            va="top",
            fontsize=10,
            color=_GOOD,
            alpha=0.9,
        )
        axes.plot(turns, feedback.tension, color=_LINE, lw=2.5, marker="o", ms=8, zorder=3)
        for turn, tension in zip(turns, feedback.tension, strict=True):
            moves = []
            if 1 <= turn <= len(feedback.turn_moves):
                moves = [short_label(m) for m in feedback.turn_moves[turn - 1]]
            # Moves go above the point and pitfalls below, swapped near the top edge.
            up = tension <= HIGH_LABEL_TENSION
            if moves:
                _label(axes, turn, tension, moves, up=up, color=_GOOD, bold=True)
            if turn in pitfall_turns:
                axes.scatter([turn], [tension], marker="X", s=170, color=_BAD, zorder=4)
                _label(axes, turn, tension, pitfall_turns[turn], up=not up, color=_BAD, bold=False)
        axes.set_xlim(-0.5, last + 0.5)
        axes.set_ylim(-0.5, MAX_TENSION + 1.8)
        axes.set_xticks(turns)
        axes.set_xticklabels(["open", *(str(t) for t in turns[1:])], fontsize=11)
        axes.set_yticks(range(0, MAX_TENSION + 1, 2))
        axes.tick_params(axis="y", labelsize=11)
        axes.set_xlabel(turn_label.lower(), fontsize=12)
        axes.set_ylabel(tension_label.lower(), fontsize=12)
        axes.set_title(title, fontsize=13, loc="left", parse_math=False)
        axes.grid(axis="y", alpha=0.3)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
