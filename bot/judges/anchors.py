"""The words an indicator cannot match without, so most indicators can be skipped unread.

A rubric has hundreds of indicator patterns and a reply matches a handful. Each pattern
is read once (with the parser `re` itself uses) for its *anchor words*: whole words, one
of which every match contains, like "sorry" in ``\\bI'm (so )?sorry\\b`` or
"understand", "get" in ``\\b(did|do) I (understand|get) you\\b``. A reply that contains
none of a pattern's anchor words cannot match it, so the judge does not run it.

This only skips work; it never decides anything. Where an anchor cannot be proven (a
pattern with no literal whole word, a syntax this reading does not know, the ASCII
flag), the pattern has no anchors and is always run. Case is compared with
`str.lower`, which agrees with `re.IGNORECASE` on Latin-1 and on characters without
case; a text with any other cased character ("İ", "ſ", the Kelvin sign) is not screened.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

#: `re`'s own parser; if a later Python moves it, no pattern gets anchors (slower, same results).
try:
    _parser: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - depends on the Python version
    _parser = None

_WORD = re.compile(r"\w+")
_ESCAPE = re.compile(r"\\.")
#: A word boundary (\b, ^, $) inside a literal string: the word next to it is whole.
_EDGE = "\x00"
#: The most spellings a stretch of literal text is expanded to before it is given up on.
_MAX_SPELLINGS = 32
_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
_EDGES = frozenset(
    {"AT_BOUNDARY", "AT_BEGINNING", "AT_BEGINNING_STRING", "AT_END", "AT_END_STRING"}
)
_UNSUPPORTED_FLAGS = re.ASCII | re.LOCALE

Spellings = set[str]
Anchors = frozenset[str]
#: A parsed item (opcode name, argument) with its spellings, or None if it has too many.
_Part = tuple[Spellings | None, str, Any]


def anchor_words(
    pattern: str, commonness: Mapping[str, int], flags: int = re.IGNORECASE
) -> Anchors | None:
    """Lower-case words one of which is a whole word of every match, or None if unknown.

    Of the words that would do, the least common ones are chosen (`commonness`: higher
    is more common), so the pattern is skipped as often as possible.
    """
    if _parser is None:
        return None
    try:
        parsed = _parser.parse(pattern, flags)
        if parsed.state.flags & _UNSUPPORTED_FLAGS:
            return None
        return _Reading(commonness).sequence_anchors(list(parsed))
    except Exception:  # an unreadable pattern is simply always run
        return None


def commonness(patterns: Iterable[str]) -> dict[str, int]:
    """In how many patterns each word appears: words many indicators share are common in replies."""
    counts: dict[str, int] = {}
    for pattern in patterns:
        for word in set(_WORD.findall(_ESCAPE.sub(" ", pattern.lower()))):
            counts[word] = counts.get(word, 0) + 1
    return counts


def words_in(text: str) -> frozenset[str] | None:
    """The lower-case words of `text`, or None if its case cannot be trusted to `str.lower`."""
    if not text.isascii() and not all(_folds_like_re(c) for c in set(text)):
        return None
    return frozenset(_WORD.findall(text.lower()))


def _folds_like_re(char: str) -> bool:
    return char < "\u0100" or char.lower() == char == char.upper()


# ------------------------------------------------------------------ reading a pattern


class _Reading:
    """Reads one parsed pattern: what its parts can spell, and the anchors of the whole.

    Spellings are remembered per parsed item, since an item is asked for them once at
    each level of nesting above it.
    """

    def __init__(self, commonness: Mapping[str, int]) -> None:
        self._commonness = commonness
        self._spelled: dict[tuple[str, int], Spellings | None] = {}
        self._read: dict[int, list[_Part]] = {}

    # ---------------------------------------------------------------- literal spellings

    def _spellings(self, op: str, av: Any) -> Spellings | None:
        """Every text one parsed item can match, when that is a few literal strings."""
        if op == "LITERAL":
            char = chr(av)
            return {char.lower()} if char < "\u0100" else None
        if op == "AT":
            return {_EDGE} if str(av) in _EDGES else {""}
        if op in ("ASSERT", "ASSERT_NOT"):
            return {""}
        key = (op, id(av))  # the parsed item is alive, so its id is its own
        if key not in self._spelled:
            self._spelled[key] = self._group_spellings(op, av)
        return self._spelled[key]

    def _group_spellings(self, op: str, av: Any) -> Spellings | None:
        if op == "SUBPATTERN":
            return None if av[1] & _UNSUPPORTED_FLAGS else self._sequence_spellings(av[3])
        if op == "ATOMIC_GROUP":
            return self._sequence_spellings(av)
        if op == "BRANCH":
            return _union(self._sequence_spellings(branch) for branch in av[1])
        if op == "IN":
            return _class_spellings(av)
        if op in _REPEATS:
            return self._repeat_spellings(*av)
        return None

    def _sequence_spellings(self, items: Iterable[tuple[Any, Any]]) -> Spellings | None:
        out: Spellings = {""}
        for part, _, _ in self._parts(items):
            if part is None:
                return None
            out = _joined(out, part)
            if len(out) > _MAX_SPELLINGS:
                return None
        return out

    def _parts(self, items: Iterable[tuple[Any, Any]]) -> list[_Part]:
        """Each item with its spellings; literal text ("sorry") is merged into one string."""
        key = id(items)
        if key not in self._read:
            self._read[key] = self._read_parts(items)
        return self._read[key]

    def _read_parts(self, items: Iterable[tuple[Any, Any]]) -> list[_Part]:
        parts: list[_Part] = []
        for op, av in items:
            name = str(op)
            spelled = self._spellings(name, av)
            before = parts[-1][0] if parts else None
            if spelled is not None and before is not None and len(spelled) == len(before) == 1:
                parts[-1] = (_joined(before, spelled), name, av)
            else:
                parts.append((spelled, name, av))
        return parts

    def _repeat_spellings(
        self, low: int, high: int, body: list[tuple[Any, Any]]
    ) -> Spellings | None:
        if high > 3:
            return None
        once = self._sequence_spellings(body)
        if once is None:
            return None
        out: Spellings = set()
        layer: Spellings = {""}
        for count in range(high + 1):
            if count >= low:
                out |= layer
            if count < high:
                layer = _joined(layer, once)
                if len(layer) > _MAX_SPELLINGS:
                    return None
        return out if len(out) <= _MAX_SPELLINGS else None

    # ---------------------------------------------------------------- anchors

    def sequence_anchors(self, items: list[tuple[Any, Any]]) -> Anchors | None:
        """The best anchors of any stretch of the sequence that every match passes through."""
        best: Anchors | None = None

        def consider(anchors: Anchors | None) -> None:
            nonlocal best
            if anchors and (best is None or self._cost(anchors) < self._cost(best)):
                best = anchors

        run: Spellings = {""}
        for part, op, av in self._parts(items):
            if part is not None:
                joined = _joined(run, part)
                if len(joined) <= _MAX_SPELLINGS:
                    run = joined
                else:
                    consider(self._whole_words(run))
                    run = part
                continue
            consider(self._whole_words(run))
            run = {""}
            consider(self._item_anchors(op, av))
        consider(self._whole_words(run))
        return best

    def _item_anchors(self, op: str, av: Any) -> Anchors | None:
        """Anchors of an item that is not a few literal strings but still must be passed."""
        if op == "SUBPATTERN":
            return None if av[1] & _UNSUPPORTED_FLAGS else self.sequence_anchors(av[3])
        if op == "ATOMIC_GROUP":
            return self.sequence_anchors(av)
        if op == "BRANCH":
            out: set[str] = set()
            for branch in av[1]:
                anchors = self.sequence_anchors(branch)
                if anchors is None:
                    return None
                out |= anchors
            return frozenset(out)
        if op in _REPEATS and av[0] >= 1:
            return self.sequence_anchors(av[2])
        return None

    def _whole_words(self, spellings: Spellings) -> Anchors | None:
        """The least common whole word of each spelling, or None if some spelling has none.

        A word is whole where the spelling itself bounds it on both sides, by a character
        that is not part of a word or by a word boundary.
        """
        out: set[str] = set()
        for spelling in spellings:
            whole = [
                m.group()
                for m in _WORD.finditer(spelling)
                if m.start() > 0 and m.end() < len(spelling)
            ]
            if not whole:
                return None
            out.add(min(whole, key=self._word_rank))
        return frozenset(out)

    def _word_rank(self, word: str) -> tuple[int, int]:
        """Lower for words a reply contains less often: fewer patterns share it, it is longer."""
        return self._commonness.get(word, 0), -len(word)

    def _cost(self, anchors: Anchors) -> tuple[tuple[int, int], int]:
        """Lower for anchors a reply contains less often: no common word, and few words."""
        return max(self._word_rank(word) for word in anchors), len(anchors)


def _class_spellings(members: list[tuple[Any, Any]]) -> Spellings | None:
    """`[Dd]`, `[,;]`, `[sz]`: a few characters, none negated or from a category."""
    out: Spellings = set()
    for op, av in members:
        if str(op) == "LITERAL" and av < 0x100:
            out.add(chr(av).lower())
        elif str(op) == "RANGE" and av[1] < 0x100 and av[1] - av[0] < _MAX_SPELLINGS:
            out |= {chr(c).lower() for c in range(av[0], av[1] + 1)}
        else:
            return None
    return out if len(out) <= _MAX_SPELLINGS else None


def _joined(heads: Spellings, tails: Spellings) -> Spellings:
    return {head + tail for head in heads for tail in tails}


def _union(parts: Iterable[Spellings | None]) -> Spellings | None:
    out: Spellings = set()
    for part in parts:
        if part is None:
            return None
        out |= part
    return out if len(out) <= _MAX_SPELLINGS else None
