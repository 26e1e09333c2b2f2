"""The rule judge skips indicators whose literal text a reply lacks; it must never skip a match."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.domain.content import load_model
from bot.domain.rubric import Rubric
from bot.judges.anchors import case_trusted, required_texts
from bot.judges.lexicon import lexicon_for
from bot.judges.matching import compile_rubric, find
from bot.judges.text import normalise, sentences

ROOT = Path(__file__).resolve().parent.parent
LOOK_ALIKES = {"s": "ſ", "i": "ı", "I": "İ", "k": "\u212a", "K": "\u212a", "ß": "ẞ"}


@pytest.fixture(scope="module")
def rubrics() -> dict[str, Rubric]:
    return {lang: load_model(ROOT / "rubrics" / f"{lang}.yaml", Rubric) for lang in ("en", "de")}


def replies_for(rubric: Rubric) -> list[str]:
    """The rubric's own examples and the labelled replies, as typed, shouted and disguised."""
    lines = (ROOT / "tests" / "data" / "labelled_small.jsonl").read_text().splitlines()
    labelled = [d["reply"] for d in map(json.loads, lines) if d["lang"] == rubric.language]
    typed = [e for c in rubric.criteria for e in c.examples] + labelled
    disguised = ["".join(LOOK_ALIKES.get(ch, ch) for ch in reply) for reply in typed]
    return [
        *typed,
        *(reply.upper() for reply in typed),
        *disguised,
        *(f"{reply} 🙂 Café" for reply in typed),
    ]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_screened_indicators_find_exactly_what_all_indicators_find(
    rubrics: dict[str, Rubric], lang: str
) -> None:
    rubric = compile_rubric(rubrics[lang])
    lexicon = lexicon_for(lang)
    found = 0
    for reply in replies_for(rubrics[lang]):
        text = normalise(reply)
        screened = rubric.for_text(text)
        for sentence in sentences(text):
            for criterion_id, criterion in rubric.criteria.items():
                expected = find(criterion, sentence, lexicon)
                assert find(screened[criterion_id], sentence, lexicon) == expected, reply
                found += expected is not None
    assert found > 100  # the comparison saw many real matches, not only misses


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"\bI'm (so )?sorry\b", "Honestly I'm so sorry."),
        (r"\b(did|do) I (understand|get) you\b", "Did I GET you right?"),
        (r"^(so |ok,? )?(anyway|moving on)\b", "Ok anyway"),
        (r"\bintellectuali[sz]", "you intellectualise"),
        (r"\bverschwende\w*", "Das verschwendet Zeit"),
        (r"(?a)\bfür\b", "äfür"),
        (r"(?<!so )\bwe (don't|do not) have to\b", "we don't have to"),
        (r"\b(\w+) \1\b", "very very"),
        (r"\bkein(?:e|en)?\b", "KEINEN"),
        (r"\bI (may|might) have (\w+ly )?\w+(ed|en)\b", "I might have really rushed"),
        (r"[Dd]u hast", "du hast"),
        (r"(?-i:Sorry) again", "Sorry AGAIN"),
        (r"(?x) \b sorry \b", "sorry"),
        (r"\bsorry\B", "sorryful"),
        (r"x{2,3}y\b", "axxy"),
        (r"(\bterribly\b\s+)?\bsorry\b", "I'm sorry"),
        (r"\bStraße\b", "STRAßE"),
        (r"\bsorry\b", "I'm ſorry"),
        (r"\bich\b", "İch"),
        (r"\bkind\b", "\u212aind"),
    ],
)
def test_a_pattern_that_matches_is_never_skipped(pattern: str, text: str) -> None:
    assert re.search(pattern, text, re.IGNORECASE)
    if case_trusted(text):
        for stretch in required_texts(pattern):
            assert any(spelling in text.lower() for spelling in stretch), stretch


@pytest.mark.parametrize(
    ("pattern", "required"),
    [
        (r"\bI'm (so )?sorry\b", [{"i'm sorry", "i'm so sorry"}]),
        (
            r"\b(did|do) I (understand|get) you\b",
            [{"did i get you", "did i understand you", "do i get you", "do i understand you"}],
        ),
        (r"\bI was (\w+ )?wrong\b", [{"i was "}, {"wrong"}]),
        (r"\b(?:you|we) (?:\w+ ){0,3}(?:agreed|said)\b", [{"you ", "we "}, {"agreed", "said"}]),
        (r"\b\w+ly\b", [{"ly"}]),
        (r"(?a)\bfür\b", []),
        (r"\w+", []),
    ],
)
def test_the_text_an_indicator_needs_is_read_off_the_pattern(
    pattern: str, required: list[set[str]]
) -> None:
    assert [set(stretch) for stretch in required_texts(pattern)] == required


def test_case_is_only_trusted_to_str_lower_where_it_agrees_with_re() -> None:
    """Every character `re.IGNORECASE` equates with a Latin-1 letter, that a text may hold."""
    everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    near_latin1 = set(re.findall(r"[\x00-\xff]", everything, re.IGNORECASE))
    for char in near_latin1:
        if not case_trusted(char):
            continue
        for latin1 in map(chr, range(0x100)):
            if re.fullmatch(re.escape(latin1), char, re.IGNORECASE):
                assert char.lower() == latin1.lower(), (char, latin1)
