"""Finding a rubric criterion's indicators in a sentence, with negation taken into account."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.rubric import CriterionId, Rubric
from bot.judges.lexicon import Lexicon
from bot.judges.text import Sentence, clause_start

_FLAGS = re.IGNORECASE


@dataclass(frozen=True)
class Hit:
    """One criterion found in one sentence; offsets are into the whole reply."""

    criterion: CriterionId
    sentence: Sentence
    start: int
    end: int


@dataclass(frozen=True)
class CompiledCriterion:
    id: CriterionId
    patterns: tuple[re.Pattern[str], ...]
    negated_patterns: tuple[re.Pattern[str], ...]
    counter_patterns: tuple[re.Pattern[str], ...]


def compile_rubric(rubric: Rubric) -> dict[CriterionId, CompiledCriterion]:
    def comp(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, _FLAGS) for p in patterns)

    return {
        c.id: CompiledCriterion(
            id=c.id,
            patterns=comp(c.indicators.patterns),
            negated_patterns=comp(c.indicators.negated_patterns),
            counter_patterns=comp(c.indicators.counter_patterns),
        )
        for c in rubric.criteria
    }


def _negated(sentence: str, start: int, end: int, lexicon: Lexicon, *, inside: bool) -> bool:
    """Is the span [start, end) under a negation in its clause (before it, or inside it)?"""
    scope_end = end if inside else start
    return (
        lexicon.negators.search(sentence, clause_start(sentence, start, lexicon), scope_end)
        is not None
    )


def find(criterion: CompiledCriterion, sentence: Sentence, lexicon: Lexicon) -> Hit | None:
    """The first place in `sentence` where `criterion` is expressed, if any."""
    text = sentence.text
    if any(p.search(text) for p in criterion.counter_patterns):
        return None
    candidates: list[tuple[int, int]] = []
    for pattern in criterion.patterns:
        for m in pattern.finditer(text):
            if m.end() > m.start() and not _negated(text, m.start(), m.end(), lexicon, inside=True):
                candidates.append(m.span())
                break
    for pattern in criterion.negated_patterns:
        for m in pattern.finditer(text):
            if m.end() > m.start() and not _negated(
                text, m.start(), m.end(), lexicon, inside=False
            ):
                candidates.append(m.span())
                break
    if not candidates:
        return None
    start, end = min(candidates)
    return Hit(criterion.id, sentence, sentence.start + start, sentence.start + end)


def find_all(
    criterion: CompiledCriterion, sentences: list[Sentence], lexicon: Lexicon
) -> list[Hit]:
    return [h for s in sentences if (h := find(criterion, s, lexicon)) is not None]
