"""The cohort chart: per trainee, sessions done with the mean rating, and the skill profile.

Left, one bar per trainee (finished sessions; the mean resolution rating written on
it; overdue work marked in red). Right, a heat map of how often each trainee used
each repair move (from the stored evaluations). Matplotlib is imported lazily, with
the Agg backend, so importing this module costs nothing.
"""

from __future__ import annotations

import io

from bot.charts import _LOCK, short_label
from bot.cohorts.report import CohortReport
from bot.domain.ids import RepairStrategy

_BAR = "#1f4e79"
_OVERDUE = "#c62828"


def cohort_chart(report: CohortReport, title: str) -> bytes:
    """PNG bytes; readable on a phone and on a projector."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    trainees = list(report.trainees)
    names = [t.name for t in trainees] or ["(no trainees yet)"]
    moves = [m.value for m in RepairStrategy]
    height = max(3.2, 0.55 * len(names) + 1.8)
    with _LOCK:
        figure = Figure(figsize=(11, height), dpi=120, layout="constrained")
        left, right = figure.subplots(1, 2, width_ratios=[1, 2.2])
        rows = list(range(len(names)))
        done = [t.sessions_done for t in trainees] or [0]
        colours = [_OVERDUE if t.overdue else _BAR for t in trainees] or [_BAR]
        left.barh(rows, done, color=colours)
        for row, trainee in enumerate(trainees):
            label = f" {trainee.mean_rating:.1f}/5" if trainee.mean_rating is not None else " –"
            if trainee.overdue:
                label += f" · {len(trainee.overdue)} overdue"
            left.text(trainee.sessions_done, row, label, va="center", fontsize=10)
        left.set_yticks(rows, names, fontsize=11)
        left.invert_yaxis()
        left.set_xlabel("sessions done (mean rating)", fontsize=11)
        left.set_xlim(0, max(max(done), 1) * 1.6)
        for side in ("top", "right"):
            left.spines[side].set_visible(False)
        grid = [[t.moves.get(m, 0) for m in moves] for t in trainees] or [[0] * len(moves)]
        image = right.imshow(grid, aspect="auto", cmap="Greens", vmin=0)
        for row, values in enumerate(grid):
            for column, value in enumerate(values):
                if value:
                    right.text(column, row, str(value), ha="center", va="center", fontsize=10)
        labels = [short_label(m) for m in moves]
        right.set_xticks(range(len(moves)), labels, rotation=35, ha="right", fontsize=10)
        right.set_yticks(rows, [""] * len(rows))
        right.set_title("repair moves used", fontsize=11, loc="left")
        figure.colorbar(image, ax=right, shrink=0.8)
        figure.suptitle(title, fontsize=13, x=0.01, ha="left")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
