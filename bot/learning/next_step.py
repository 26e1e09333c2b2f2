"""What to do next: resuming a module, where the trainee left off, the weakest skill.

Derived from the stored attempts alone, so nothing about "position" is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal, TypeVar

from bot.domain.ids import RepairStrategy
from bot.learning.catalog import LearningCatalog
from bot.learning.models import Drill, Module, ModuleId, PromptExercise, RecognitionFamily
from bot.learning.records import DrillAttempt, PromptAttempt
from bot.learning.reports import FamilyProgress, SkillProgress, Suggestion

#: at or above this rate a skill counts as mastered, and untried ones are suggested first
MASTERY = 0.8

T = TypeVar("T")


def next_drill(module: Module, attempts: Sequence[DrillAttempt]) -> Drill | None:
    """After the last drill answered, the first not yet answered correctly (wrapping round)."""
    mine = [a for a in attempts if a.module_id is module.id]
    done = {a.drill_id for a in mine if a.correct}
    return _after_last(module.drills, lambda d: d.id, done, mine[-1].drill_id if mine else None)


def next_prompt(module: Module, attempts: Sequence[PromptAttempt]) -> PromptExercise | None:
    """After the last prompt answered, the first not yet answered (wrapping round)."""
    mine = [a for a in attempts if a.module_id is module.id]
    done = {a.prompt_id for a in mine}
    return _after_last(module.prompts, lambda p: p.id, done, mine[-1].prompt_id if mine else None)


def _after_last(
    items: Sequence[T], key: Callable[[T], str], done: set[str], last: str | None
) -> T | None:
    ids = [key(item) for item in items]
    start = ids.index(last) + 1 if last in ids else 0
    for offset in range(len(items)):
        item = items[(start + offset) % len(items)]
        if key(item) not in done:
            return item
    return None


def suggest(
    catalog: LearningCatalog,
    drills: Sequence[DrillAttempt],
    prompts: Sequence[PromptAttempt],
    families: Sequence[FamilyProgress],
    skills: Sequence[SkillProgress],
) -> Suggestion | None:
    """The weakest practised skill's next exercise; untried skills once the rest are mastered."""
    practised: list[tuple[float, int, str]] = [
        (f.accuracy, order, f.family.value)
        for order, f in enumerate(families)
        if f.accuracy is not None and _has_drill(catalog, f.family)
    ]
    practised += [
        (s.rate, len(families) + order, s.skill.value)
        for order, s in enumerate(skills)
        if s.rate is not None and _has_prompt(catalog, s.skill)
    ]
    if not practised:
        return start(catalog)
    rate, _, focus = min(practised)
    if rate >= MASTERY:
        untried = [
            *(f.family.value for f in families if not f.attempts and _has_drill(catalog, f.family)),
            *(s.skill.value for s in skills if not s.expected and _has_prompt(catalog, s.skill)),
        ]
        if untried:
            return _exercise_for(catalog, untried[0], drills, prompts, "untried", None)
    return _exercise_for(catalog, focus, drills, prompts, "weakest", rate)


def start(catalog: LearningCatalog) -> Suggestion | None:
    for module in catalog.modules.values():
        if module.drills:
            drill = module.drills[0]
            return Suggestion(
                kind="drill",
                module_id=module.id,
                item_id=drill.id,
                focus=drill.family.value,
                reason="start",
            )
    return None


def resume_point(
    catalog: LearningCatalog, drills: Sequence[DrillAttempt], prompts: Sequence[PromptAttempt]
) -> Suggestion | None:
    """Where the trainee left off: the next item in the module they touched last."""
    latest: list[tuple[datetime, int, ModuleId, str]] = [
        *((a.created_at, a.id or 0, a.module_id, "drill") for a in drills[-1:]),
        *((a.created_at, a.id or 0, a.module_id, "prompt") for a in prompts[-1:]),
    ]
    if not latest:
        return None
    _, _, last_module, last_kind = max(latest)
    order = list(catalog.modules)
    if last_module not in order:
        return None
    for module_id in order[order.index(last_module) :] + order[: order.index(last_module)]:
        module = catalog.modules[module_id]
        drill, prompt = next_drill(module, drills), next_prompt(module, prompts)
        first: Drill | PromptExercise | None = prompt if last_kind == "prompt" else drill
        item = first or drill or prompt
        if isinstance(item, Drill):
            return Suggestion(
                kind="drill",
                module_id=module.id,
                item_id=item.id,
                focus=item.family.value,
                reason="resume",
            )
        if isinstance(item, PromptExercise):
            return Suggestion(
                kind="prompt",
                module_id=module.id,
                item_id=item.id,
                focus=item.expected_moves[0].value,
                reason="resume",
            )
    return None


def _has_drill(catalog: LearningCatalog, family: RecognitionFamily) -> bool:
    return any(d.family is family for _, d in catalog.all_drills())


def _has_prompt(catalog: LearningCatalog, skill: RepairStrategy) -> bool:
    return any(skill in p.expected_moves for _, p in catalog.all_prompts())


def _exercise_for(
    catalog: LearningCatalog,
    focus: str,
    drills: Sequence[DrillAttempt],
    prompts: Sequence[PromptAttempt],
    reason: Literal["weakest", "untried"],
    rate: float | None,
) -> Suggestion | None:
    if focus in set(RecognitionFamily):
        found_drill = _drill_for(catalog, RecognitionFamily(focus), drills)
        if found_drill is None:
            return None
        module, drill = found_drill
        return Suggestion(
            kind="drill",
            module_id=module.id,
            item_id=drill.id,
            focus=focus,
            reason=reason,
            rate=rate,
        )
    found_prompt = _prompt_for(catalog, RepairStrategy(focus), prompts)
    if found_prompt is None:
        return None
    module, prompt = found_prompt
    return Suggestion(
        kind="prompt", module_id=module.id, item_id=prompt.id, focus=focus, reason=reason, rate=rate
    )


def _drill_for(
    catalog: LearningCatalog, family: RecognitionFamily, attempts: Sequence[DrillAttempt]
) -> tuple[Module, Drill] | None:
    """A fresh drill first, then one never answered right, then the least recently done."""
    ranks: dict[str, tuple[int, datetime | None]] = {}
    for _, drill in catalog.all_drills():
        if drill.family is family:
            tried = [a for a in attempts if a.drill_id == drill.id]
            level = 2 if any(a.correct for a in tried) else 1 if tried else 0
            ranks[drill.id] = (level, tried[-1].created_at if tried else None)
    best = _best(ranks)
    return None if best is None else catalog.drill(best)


def _prompt_for(
    catalog: LearningCatalog, skill: RepairStrategy, attempts: Sequence[PromptAttempt]
) -> tuple[Module, PromptExercise] | None:
    """A fresh prompt first, then one where the skill was missed last time, then the oldest."""
    ranks: dict[str, tuple[int, datetime | None]] = {}
    for _, prompt in catalog.all_prompts():
        if skill in prompt.expected_moves:
            tried = [a for a in attempts if a.prompt_id == prompt.id]
            level = 2 if tried and skill in tried[-1].hit_moves else 1 if tried else 0
            ranks[prompt.id] = (level, tried[-1].created_at if tried else None)
    best = _best(ranks)
    return None if best is None else catalog.prompt(best)


def _best(ranks: dict[str, tuple[int, datetime | None]]) -> str | None:
    """Lowest rank; among equals the least recently tried (never tried first), then in order."""
    if not ranks:
        return None
    order = {item: index for index, item in enumerate(ranks)}
    return min(
        ranks,
        key=lambda item: (
            ranks[item][0],
            ranks[item][1] is not None,
            ranks[item][1] or datetime.min,
            order[item],
        ),
    )
