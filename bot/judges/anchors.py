"""The literal text an indicator cannot match without, so most indicators are skipped unread.

A rubric has hundreds of indicator patterns and a reply matches a handful. Each pattern
is read once (with the parser `re` itself uses) for the *stretches of literal text* every
match contains, each as one of a few spellings: "i'm sorry" or "i'm so sorry" for
``\\bI'm (so )?sorry\\b``; "did i " or "do i ", then "understand you" or "get you" for
``\\b(did|do) I (understand|get) you\\b``. A reply that lacks one of them cannot match the
pattern, so the judge does not run it (`bot.judges.matching`).

This only skips work; it never decides anything. Where nothing can be proven (a pattern
without literal text, a syntax this reading does not know, the ASCII flag), the pattern is
always run. Case is compared with `str.lower`, which agrees with `re.IGNORECASE` on Latin-1
and on characters without case; a text with any other cased character ("İ", "ſ", the Kelvin
sign) is not screened.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

import ahocorasick

#: `re`'s own parser; if a later Python moves it, nothing is screened (slower, same results).
try:
    _parser: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - depends on the Python version
    _parser = None

#: A word boundary (\b, ^, $) inside a literal string (zero-width: dropped from spellings).
_EDGE = "\x00"
#: The most spellings a stretch of literal text is expanded to before it is given up on.
_MAX_SPELLINGS = 32
_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
_EDGES = frozenset(
    {"AT_BOUNDARY", "AT_BEGINNING", "AT_BEGINNING_STRING", "AT_END", "AT_END_STRING"}
)
_UNSUPPORTED_FLAGS = re.ASCII | re.LOCALE

Spellings = set[str]
#: Stretches of literal text a match must contain, each as one of a few lower-case spellings.
Required = tuple[frozenset[str], ...]
#: A parsed item (opcode name, argument) with its spellings, or None if it has too many.
_Part = tuple[Spellings | None, str, Any]


def required_texts(pattern: str, flags: int = re.IGNORECASE) -> Required:
    """Literal stretches every match contains, each as a set of lower-case spellings.

    Empty when nothing can be proven: such a pattern is always run.
    """
    if _parser is None:
        return ()
    try:
        parsed = _parser.parse(pattern, flags)
        if parsed.state.flags & _UNSUPPORTED_FLAGS:
            return ()
        return tuple(_Reading().sequence_required(list(parsed)))
    except Exception:  # an unreadable pattern is simply always run
        return ()


def case_trusted(text: str) -> bool:
    """Does `str.lower` fold every character of `text` as `re.IGNORECASE` does?"""
    return text.isascii() or all(_folds_like_re(c) for c in set(text))


def _folds_like_re(char: str) -> bool:
    return char < "\u0100" or char.lower() == char == char.upper()


class SpellingFinder:
    """Which indicators a lower-cased text may match, in one pass (Aho-Corasick).

    Each indicator is keyed by one spelling set of its most telling stretch; one pass over
    the text yields the indicators whose key occurs (`contains_all` then checks the rest).
    Testing every spelling with ``in`` cost more than the patterns it saved.
    """

    def __init__(self, slots_by_spelling: Mapping[str, tuple[int, ...]]) -> None:
        self._automaton: Any = ahocorasick.Automaton()
        for spelling, slots in slots_by_spelling.items():
            self._automaton.add_word(spelling, slots)
        self._empty = not slots_by_spelling
        if not self._empty:
            self._automaton.make_automaton()

    def find(self, lowered: str) -> set[int]:
        """The slots keyed by a spelling that occurs in `lowered`."""
        candidates: set[int] = set()
        if not self._empty:
            for _end, slots in self._automaton.iter(lowered):
                candidates.update(slots)
        return candidates


def contains_all(lowered: str, stretches: tuple[tuple[str, ...], ...]) -> bool:
    """Does the lower-cased text contain one spelling of every stretch? (plain loops: hot)"""
    for stretch in stretches:
        for spelling in stretch:
            if spelling in lowered:
                break
        else:
            return False
    return True


# ------------------------------------------------------------------ reading a pattern


class _Reading:
    """Reads one parsed pattern: what its parts can spell, and what every match contains.

    Spellings are remembered per parsed item, since an item is asked for them once at
    each level of nesting above it.
    """

    def __init__(self) -> None:
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

    def sequence_required(self, items: list[tuple[Any, Any]]) -> list[frozenset[str]]:
        """Every literal stretch a match of the sequence passes through (`required_texts`)."""
        out: list[frozenset[str]] = []

        def emit(run: Spellings) -> None:
            spellings = frozenset(s.replace(_EDGE, "") for s in run)
            if "" not in spellings:
                out.append(spellings)

        run: Spellings = {""}
        for part, op, av in self._parts(items):
            if part is not None:
                joined = _joined(run, part)
                if len(joined) <= _MAX_SPELLINGS:
                    run = joined
                else:
                    emit(run)
                    run = part
                continue
            emit(run)
            run = {""}
            out += self._item_required(op, av)
        emit(run)
        return out

    def _item_required(self, op: str, av: Any) -> list[frozenset[str]]:
        if op == "SUBPATTERN":
            return [] if av[1] & _UNSUPPORTED_FLAGS else self.sequence_required(av[3])
        if op == "ATOMIC_GROUP":
            return self.sequence_required(av)
        if op in _REPEATS and av[0] >= 1:
            return self.sequence_required(av[2])
        if op == "BRANCH":
            # a match takes one branch: one stretch of each branch, pooled, is required
            pooled: set[str] = set()
            for branch in av[1]:
                stretches = self.sequence_required(branch)
                if not stretches:
                    return []
                pooled |= max(stretches, key=lambda s: min(map(len, s)))
            return [frozenset(pooled)] if len(pooled) <= _MAX_SPELLINGS else []
        return []


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
