"""What a trainee's attempts add up to: the module menu and progress over time.

Pure functions over stored attempts and the catalogue, so every number a trainee
sees can be recomputed from their history (and is gone when the history is erased).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

from bot.domain.ids import RepairStrategy
from bot.learning.models import Module, RecognitionFamily
from bot.learning.records import DrillAttempt, PromptAttempt
from bot.learning.reports import (
    FamilyProgress,
    ModuleStatus,
    SkillProgress,
    TrendPoint,
    WeekSummary,
)

#: rolling window (in attempts) for the accuracy trend lines
WINDOW = 5


# --- one module ---------------------------------------------------------------------------


def module_status(
    module: Module, drills: Sequence[DrillAttempt], prompts: Sequence[PromptAttempt]
) -> ModuleStatus:
    drills = [a for a in drills if a.module_id is module.id]
    prompts = [a for a in prompts if a.module_id is module.id]
    ids = {d.id for d in module.drills}
    answered = {a.drill_id for a in drills} & ids
    correct = {a.drill_id for a in drills if a.correct} & ids
    done_prompts = {a.prompt_id for a in prompts} & {p.id for p in module.prompts}
    finished = correct == ids and len(done_prompts) == len(module.prompts)
    return ModuleStatus(
        module_id=module.id,
        title=module.title,
        theory_pages=len(module.theory),
        drills_total=len(module.drills),
        drills_answered=len(answered),
        drills_correct=len(correct),
        accuracy=_rate(sum(a.correct for a in drills), len(drills)),
        prompts_total=len(module.prompts),
        prompts_done=len(done_prompts),
        mean_rating=_rate(sum(a.rating for a in prompts), len(prompts)),
        state="done" if finished else "in_progress" if drills or prompts else "to_do",
    )


# --- over time ----------------------------------------------------------------------------


def family_progress(attempts: Sequence[DrillAttempt]) -> tuple[FamilyProgress, ...]:
    out = []
    for family in RecognitionFamily:
        mine = [a for a in attempts if a.family is family]
        out.append(
            FamilyProgress(
                family=family,
                attempts=len(mine),
                correct=sum(a.correct for a in mine),
                accuracy=_rate(sum(a.correct for a in mine), len(mine)),
                trend=_trend((a.created_at, a.correct) for a in mine),
            )
        )
    return tuple(out)


def skill_progress(attempts: Sequence[PromptAttempt]) -> tuple[SkillProgress, ...]:
    out = []
    for skill in RepairStrategy:
        outcomes = [
            (a.created_at, skill in a.hit_moves) for a in attempts if skill in a.expected_moves
        ]
        hit = sum(ok for _, ok in outcomes)
        out.append(
            SkillProgress(
                skill=skill,
                expected=len(outcomes),
                hit=hit,
                rate=_rate(hit, len(outcomes)),
                used=sum(skill in a.evaluation.moves for a in attempts),
                trend=_trend(outcomes),
            )
        )
    return tuple(out)


def weekly(
    drills: Sequence[DrillAttempt], prompts: Sequence[PromptAttempt]
) -> tuple[WeekSummary, ...]:
    """Drills and prompts per calendar week, oldest first (weeks without work are left out)."""

    def monday(moment: datetime) -> date:
        day = moment.astimezone(UTC).date()
        return day - timedelta(days=day.weekday())

    weeks = sorted({monday(a.created_at) for a in drills} | {monday(a.created_at) for a in prompts})
    out = []
    for week in weeks:
        done = [a for a in drills if monday(a.created_at) == week]
        answered = [a for a in prompts if monday(a.created_at) == week]
        out.append(
            WeekSummary(
                week_start=week,
                drills=len(done),
                drill_accuracy=_rate(sum(a.correct for a in done), len(done)),
                prompts=len(answered),
                mean_rating=_rate(sum(a.rating for a in answered), len(answered)),
            )
        )
    return tuple(out)


def _trend(outcomes: Iterable[tuple[datetime, bool]]) -> tuple[TrendPoint, ...]:
    points: list[TrendPoint] = []
    window: list[bool] = []
    for number, (at, correct) in enumerate(outcomes, start=1):
        window = [*window[-(WINDOW - 1) :], correct]
        points.append(
            TrendPoint(attempt=number, at=at, correct=correct, accuracy=sum(window) / len(window))
        )
    return tuple(points)


def _rate(part: float, whole: int) -> float | None:
    return part / whole if whole else None
