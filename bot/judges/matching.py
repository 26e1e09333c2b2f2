"""Finding a rubric criterion's indicators in a sentence, with negation taken into account."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.rubric import CriterionId, Rubric
from bot.judges.anchors import SpellingFinder, case_trusted, contains_all, required_texts
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


#: A compiled rubric: each criterion's indicators, ready to search.
CompiledCriteria = Mapping[CriterionId, CompiledCriterion]
#: What a rubric's indicators are made of, hashable, to compile each rubric once per process.
_IndicatorSource = tuple[tuple[CriterionId, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]


class CompiledRubric:
    """A rubric's indicators compiled once, with the literal text each one needs (`anchors`).

    `for_text` hands out the criteria narrowed to the indicators that can match somewhere in
    a text: one pass of an Aho-Corasick automaton over the text finds which of the needed
    stretches it contains, and only indicators with all of theirs are kept. A reply is then
    searched for a handful of patterns instead of hundreds, which was most of the judge's
    time. Searching any sentence of that text with the narrowed criteria finds exactly
    what the full ones find.
    """

    def __init__(self, source: _IndicatorSource) -> None:
        self.criteria: dict[CriterionId, CompiledCriterion] = {}
        #: every pattern and negated pattern, in rubric order: (criterion, negated?, pattern)
        self._slots: list[tuple[CriterionId, bool, re.Pattern[str]]] = []
        #: per slot, the literal stretches its pattern needs besides the one it is found by
        self._rest: list[tuple[tuple[str, ...], ...]] = []
        keyed: dict[str, list[int]] = {}
        unscreened: list[int] = []
        for criterion_id, patterns, negated, counter in source:
            compiled = CompiledCriterion(
                id=criterion_id,
                patterns=_compiled(patterns),
                negated_patterns=_compiled(negated),
                counter_patterns=_compiled(counter),
            )
            self.criteria[criterion_id] = compiled
            for is_negated, texts, regexes in (
                (False, patterns, compiled.patterns),
                (True, negated, compiled.negated_patterns),
            ):
                for text, regex in zip(texts, regexes, strict=True):
                    slot = len(self._slots)
                    self._slots.append((criterion_id, is_negated, regex))
                    required = required_texts(text, _FLAGS)
                    if not required:
                        self._rest.append(())
                        unscreened.append(slot)
                        continue
                    # found through its most telling stretch; the others are checked after
                    key = max(required, key=lambda s: min(map(len, s)))
                    self._rest.append(tuple(tuple(s) for s in required if s is not key))
                    for spelling in key:
                        keyed.setdefault(spelling, []).append(slot)
        self._finder = SpellingFinder({s: tuple(slots) for s, slots in keyed.items()})
        self._unscreened = tuple(unscreened)
        #: each criterion with none of its indicators: what a text without their anchors gets
        self._idle = {
            c.id: CompiledCriterion(c.id, (), (), c.counter_patterns)
            for c in self.criteria.values()
        }

    def for_text(self, text: str) -> CompiledCriteria:
        """The criteria with only the indicators whose needed text all occurs in `text`."""
        if not case_trusted(text):
            return self.criteria
        lowered = text.lower()
        candidates = self._finder.find(lowered)
        rest = self._rest
        patterns: dict[CriterionId, list[re.Pattern[str]]] = {}
        negated: dict[CriterionId, list[re.Pattern[str]]] = {}
        for slot in sorted(candidates.union(self._unscreened)):
            if not contains_all(lowered, rest[slot]):
                continue
            criterion_id, is_negated, regex = self._slots[slot]
            (negated if is_negated else patterns).setdefault(criterion_id, []).append(regex)
        narrowed = dict(self._idle)
        for criterion_id in patterns.keys() | negated.keys():
            narrowed[criterion_id] = CompiledCriterion(
                criterion_id,
                tuple(patterns.get(criterion_id, ())),
                tuple(negated.get(criterion_id, ())),
                self.criteria[criterion_id].counter_patterns,
            )
        return narrowed


def compile_rubric(rubric: Rubric) -> CompiledRubric:
    """The rubric's indicators compiled; rubrics with the same indicators share one result."""
    source = tuple(
        (
            c.id,
            tuple(c.indicators.patterns),
            tuple(c.indicators.negated_patterns),
            tuple(c.indicators.counter_patterns),
        )
        for c in rubric.criteria
    )
    return _compile_source(source)


@functools.lru_cache(maxsize=16)
def _compile_source(source: _IndicatorSource) -> CompiledRubric:
    return CompiledRubric(source)


def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, _FLAGS) for p in patterns)


def _negated(sentence: str, start: int, end: int, lexicon: Lexicon, *, inside: bool) -> bool:
    """Is the span [start, end) under a negation in its clause (before it, or inside it)?"""
    scope_end = end if inside else start
    return (
        lexicon.negators.search(sentence, clause_start(sentence, start, lexicon), scope_end)
        is not None
    )


def find(criterion: CompiledCriterion, sentence: Sentence, lexicon: Lexicon) -> Hit | None:
    """The first place in `sentence` where `criterion` is expressed, if any.

    A counter-pattern anywhere in the sentence cancels it; it is looked for last, since
    most sentences express nothing to cancel.
    """
    text = sentence.text
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
    if not candidates or any(p.search(text) for p in criterion.counter_patterns):
        return None
    start, end = min(candidates)
    return Hit(criterion.id, sentence, sentence.start + start, sentence.start + end)


def find_all(
    criterion: CompiledCriterion, sentences: list[Sentence], lexicon: Lexicon
) -> list[Hit]:
    return [h for s in sentences if (h := find(criterion, s, lexicon)) is not None]
