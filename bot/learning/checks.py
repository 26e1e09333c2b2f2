"""Rules the schema alone cannot express, phrased for the trainer who edits the files.

Each function returns `Problem`s naming the file, the field and what to write instead,
so `python -m bot content validate` can list everything wrong in one run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.domain.content import Problem
from bot.domain.ids import (
    ConfrontationMarker,
    MoveFamily,
    Pitfall,
    RepairStrategy,
    RuptureType,
    WithdrawalMarker,
)
from bot.learning.models import (
    MAX_LABEL_CHARS,
    MAX_PAGE_CHARS,
    Drill,
    Glossary,
    Noticed,
    PromptExercise,
    RecognitionFamily,
    TheoryPage,
)

MIN_DRILLS = 10
MIN_PROMPTS = 10

_WITHDRAWAL = tuple(m.value for m in WithdrawalMarker)
_CONFRONTATION = tuple(m.value for m in ConfrontationMarker)
_MARKERS = _WITHDRAWAL + _CONFRONTATION
_IMMEDIATE = tuple(s.value for s in RepairStrategy if s.family is MoveFamily.IMMEDIATE)
_EXPRESSIVE = tuple(s.value for s in RepairStrategy if s.family is not MoveFamily.IMMEDIATE)
_STRATEGIES = tuple(s.value for s in RepairStrategy)
_PITFALLS = tuple(p.value for p in Pitfall)

#: per noticed answer: (what the options must be, the ids allowed as the answer, who speaks last)
_DETAIL_RULES: dict[Noticed, tuple[str, tuple[str, ...], tuple[str, ...], str]] = {
    Noticed.CONFRONTATION_RUPTURE: ("marker", _MARKERS, _CONFRONTATION, "patient"),
    Noticed.WITHDRAWAL_RUPTURE: ("marker", _MARKERS, _WITHDRAWAL, "patient"),
    Noticed.MIXED_RUPTURE: ("marker", _MARKERS, _MARKERS, "patient"),
    Noticed.IMMEDIATE_REPAIR: ("strategy", _STRATEGIES, _IMMEDIATE, "therapist"),
    Noticed.EXPRESSIVE_REPAIR: ("strategy", _STRATEGIES, _EXPRESSIVE, "therapist"),
    Noticed.NONE: ("pitfall", _PITFALLS, _PITFALLS, "therapist"),
}

#: canonical ids every glossary must label
LABELLED_IDS = (*(n.value for n in Noticed), *_MARKERS, *_STRATEGIES, *_PITFALLS)


def detail_kind(noticed: Noticed) -> str:
    """ "marker", "strategy" or "pitfall": what the finer question asks about."""
    return _DETAIL_RULES[noticed][0]


def _listing(ids: Iterable[str]) -> str:
    return ", ".join(ids)


def parse_theory(name: str, text: str) -> tuple[list[TheoryPage], list[Problem]]:
    """Split `theory.md` into pages at each ``## `` heading (a leading ``# `` title is skipped)."""
    problems: list[Problem] = []
    sections: list[tuple[str, list[str]]] = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif sections:
            sections[-1][1].append(line)
        elif line.strip() and not (line.startswith("# ") and number == 1):
            problems.append(
                Problem(
                    name,
                    f"line {number}",
                    "text before the first page; start every page with a '## Title' line",
                )
            )
            break
    if not sections:
        problems.append(
            Problem(name, "pages", "no pages found; start every page with a '## Title' line")
        )
    pages: list[TheoryPage] = []
    for index, (title, lines) in enumerate(sections):
        body = "\n".join(lines).strip()
        field = f"pages[{index}] ({title or 'untitled'})"
        if not title:
            problems.append(Problem(name, field, "the '## ' heading needs a title"))
        elif len(body) > MAX_PAGE_CHARS:
            problems.append(
                Problem(
                    name,
                    field,
                    f"is {len(body)} characters; a page must fit a phone screen (at most "
                    f"{MAX_PAGE_CHARS}): shorten it or split it with another '## ' heading",
                )
            )
        elif len(body) < 20:
            problems.append(Problem(name, field, "is empty or too short; write the page's text"))
        else:
            pages.append(TheoryPage(title=title, body=body))
    return pages, problems


def check_drills(name: str, drills: Sequence[Drill | None]) -> list[Problem]:
    """Rules across fields and items; None stands for an item that failed the schema."""
    problems = _check_ids(name, "drills", [d.id if d else None for d in drills])
    if len(drills) < MIN_DRILLS:
        problems.append(
            Problem(
                name,
                "drills",
                f"has {len(drills)} drill(s); a module needs at least {MIN_DRILLS}",
            )
        )
    for index, drill in enumerate(drills):
        if drill is not None:
            problems.extend(_check_drill(name, f"drills[{index}] ({drill.id})", drill))
    return problems


def _check_drill(name: str, field: str, drill: Drill) -> list[Problem]:
    kind, allowed, answers, last_speaker = _DETAIL_RULES[drill.noticed]
    problems: list[Problem] = []
    if drill.exchange[-1].speaker != last_speaker and (
        drill.noticed is not Noticed.NONE or drill.detail is not None
    ):
        problems.append(
            Problem(
                name,
                f"{field}.exchange",
                f"the last line is the {drill.exchange[-1].speaker}'s, but a "
                f"{drill.noticed.value} drill is about the {last_speaker}'s last line; "
                f"end the exchange with a {last_speaker} line",
            )
        )
    detail = drill.detail
    if detail is None:
        if drill.noticed is not Noticed.NONE:
            problems.append(
                Problem(
                    name,
                    f"{field}.detail",
                    f"missing; a {drill.noticed.value} drill needs a finer question "
                    f"(options: 3-4 {kind} ids, answer: one of them)",
                )
            )
        return problems
    for position, option in enumerate(detail.options):
        if option not in allowed:
            problems.append(
                Problem(
                    name,
                    f"{field}.detail.options[{position}]",
                    f"{option!r} is not a {kind} id; use one of: {_listing(allowed)}",
                )
            )
    repeated = sorted({o for o in detail.options if detail.options.count(o) > 1})
    if repeated:
        problems.append(
            Problem(name, f"{field}.detail.options", f"lists {_listing(repeated)} more than once")
        )
    if detail.answer not in detail.options:
        problems.append(
            Problem(
                name,
                f"{field}.detail.answer",
                f"{detail.answer!r} is not among the options ({_listing(detail.options)}); "
                "make it one of them or add it to the options",
            )
        )
    elif detail.answer not in answers:
        problems.append(
            Problem(
                name,
                f"{field}.detail.answer",
                f"{detail.answer!r} does not fit a {drill.noticed.value}; "
                f"the answer must be one of: {_listing(answers)}",
            )
        )
    return problems


def check_prompts(name: str, prompts: Sequence[PromptExercise | None]) -> list[Problem]:
    """Rules across fields and items; None stands for an item that failed the schema."""
    problems = _check_ids(name, "prompts", [p.id if p else None for p in prompts])
    if len(prompts) < MIN_PROMPTS:
        problems.append(
            Problem(
                name,
                "prompts",
                f"has {len(prompts)} prompt(s); a module needs at least {MIN_PROMPTS}",
            )
        )
    for index, prompt in enumerate(prompts):
        if prompt is None:
            continue
        field = f"prompts[{index}] ({prompt.id})"
        fitting = {
            RuptureType.CONFRONTATION: _CONFRONTATION,
            RuptureType.WITHDRAWAL: _WITHDRAWAL,
            RuptureType.MIXED: _MARKERS,
        }[prompt.rupture]
        if prompt.marker not in _MARKERS:
            problems.append(
                Problem(
                    name,
                    f"{field}.marker",
                    f"{prompt.marker!r} is not a marker id; use one of: {_listing(fitting)}",
                )
            )
        elif prompt.marker not in fitting:
            problems.append(
                Problem(
                    name,
                    f"{field}.marker",
                    f"{prompt.marker!r} is not a {prompt.rupture.value} marker; "
                    f"use one of: {_listing(fitting)} (or change the rupture)",
                )
            )
        moves = [m.value for m in prompt.expected_moves]
        repeated = sorted({m for m in moves if moves.count(m) > 1})
        if repeated:
            problems.append(
                Problem(name, f"{field}.expected_moves", f"lists {_listing(repeated)} twice")
            )
    return problems


def check_glossary(name: str, glossary: Glossary) -> list[Problem]:
    problems = [
        Problem(name, f"labels.{item}", "missing; every canonical id needs a label")
        for item in LABELLED_IDS
        if item not in glossary.labels
    ]
    problems.extend(
        Problem(name, f"labels.{item}", "is not a canonical id; check the spelling or remove it")
        for item in glossary.labels
        if item not in LABELLED_IDS
    )
    problems.extend(
        Problem(
            name,
            f"labels.{item}",
            f"is {len(label)} characters; keep labels under {MAX_LABEL_CHARS} (a poll option)",
        )
        for item, label in glossary.labels.items()
        if len(label) > MAX_LABEL_CHARS
    )
    problems.extend(
        Problem(name, f"families.{family.value}", "missing; every family needs a name")
        for family in RecognitionFamily
        if family not in glossary.families
    )
    return problems


def _check_ids(name: str, field: str, ids: Sequence[str | None]) -> list[Problem]:
    seen: set[str] = set()
    problems: list[Problem] = []
    for index, item in enumerate(ids):
        if item is None:
            continue
        if item in seen:
            problems.append(
                Problem(
                    name,
                    f"{field}[{index}] ({item}).id",
                    f"{item!r} is used twice; give every {field[:-1]} its own id",
                )
            )
        seen.add(item)
    return problems
