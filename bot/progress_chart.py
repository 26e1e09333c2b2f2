"""The progress chart: recognition accuracy over time and repair-skill hit rates, as a PNG.

Sized for a phone held upright: lines on top (one per rupture family, accuracy over
the last few answers), a bar per repair skill below. Matplotlib is imported lazily
with the Agg backend, so importing this module costs nothing.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from bot.charts import _LOCK
from bot.learning.models import RUPTURE_FAMILIES
from bot.learning.progress import WINDOW
from bot.learning.reports import Progress

FAMILY_COLOURS = {"confrontation": "#c62828", "withdrawal": "#1f4e79", "mixed": "#6a1b9a"}
FAMILY_MARKERS = {"confrontation": "o", "withdrawal": "s", "mixed": "^"}
_BAR = "#2e7d32"
_EMPTY = "#9e9e9e"


def _label(item: str, labels: Mapping[str, str] | None) -> str:
    if labels and item in labels:
        return labels[item]
    return item.replace("_", " ").capitalize()


def progress_chart(progress: Progress, labels: Mapping[str, str] | None = None) -> bytes:
    """PNG bytes. `labels` maps canonical ids to the words the trainee knows (the glossary)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    families = [f for f in progress.recognition if f.family in RUPTURE_FAMILIES]
    with _LOCK:
        figure = Figure(figsize=(6.4, 8.4), dpi=130, layout="constrained")
        upper, lower = figure.subfigures(2, 1, squeeze=False, height_ratios=(1, 1.25))[:, 0]
        top, bottom = upper.subplots(), lower.subplots()

        drawn = False
        for family in families:
            if not family.trend:
                continue
            drawn = True
            xs = [p.attempt for p in family.trend]
            ys = [100 * p.accuracy for p in family.trend]
            top.plot(
                xs,
                ys,
                color=FAMILY_COLOURS.get(family.family.value, _BAR),
                lw=2.5,
                marker=FAMILY_MARKERS.get(family.family.value, "o"),
                ms=7,
                alpha=0.9,
                label=f"{_label(family.family.value, labels)} ({family.correct}/{family.attempts})",
            )
        if drawn:
            top.legend(loc="lower right", fontsize=10, frameon=False)
            top.xaxis.set_major_locator(MaxNLocator(integer=True))
        else:
            top.text(0.5, 0.5, "No drills answered yet", ha="center", va="center", fontsize=12)
            top.set_xticks([])
        top.set_ylim(-5, 105)
        top.set_yticks(range(0, 101, 25))
        top.set_ylabel(f"% right (last {WINDOW})", fontsize=11)
        top.set_xlabel("answers", fontsize=11)
        top.set_title("Recognising ruptures", fontsize=13, loc="left")
        top.tick_params(labelsize=10)
        top.grid(axis="y", alpha=0.3)

        skills = list(progress.skills)
        names = [_label(s.skill.value, labels) for s in skills]
        rates = [100 * s.rate if s.rate is not None else 0 for s in skills]
        colours = [_BAR if s.rate is not None else _EMPTY for s in skills]
        positions = list(range(len(skills)))
        bottom.barh(positions, rates, color=colours, height=0.65)
        for position, skill in zip(positions, skills, strict=True):
            note = f"{skill.hit}/{skill.expected}" if skill.expected else "not tried yet"
            bottom.text(
                (skill.rate or 0) * 100 + 2, position, note, va="center", fontsize=10, color="#333"
            )
        bottom.set_yticks(positions)
        bottom.set_yticklabels(names, fontsize=10)
        bottom.invert_yaxis()
        bottom.set_xlim(0, 118)
        bottom.set_xticks(range(0, 101, 25))
        bottom.set_xlabel("% of prompts where you used it", fontsize=11)
        bottom.set_title("Repair skills", fontsize=13, loc="left")
        bottom.tick_params(axis="x", labelsize=10)
        bottom.grid(axis="x", alpha=0.3)
        for axes in (top, bottom):
            for side in ("top", "right"):
                axes.spines[side].set_visible(False)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
