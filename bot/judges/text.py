"""Reading a reply as sentences and clauses while keeping offsets into the original.

Every quote the judge returns is a slice of the reply exactly as the trainee
typed it, so all normalisation here maps one character to one character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.judges.lexicon import INJECTION_MARKERS, Lexicon

#: Longest stretch of a reply that is read; beyond it the reply is not judged.
MAX_REPLY_CHARS = 4000

_SAME_LENGTH = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": ".",
        "\u00a0": " ",
        "\u200b": " ",
        "\u200c": " ",
        "\u200d": " ",
        "\u2060": " ",
        "\ufeff": " ",
    }
)

_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")
_CLAUSE_BREAK = re.compile(r"[,;:()]|\s-|-\s|--")
#: "..., that sounds hard" / "..., das klingt": a pronoun starting a new clause, not "that"-clause.
_DEMONSTRATIVE = re.compile(
    r"(?:that|das|dies)(?:'s|\s+(?:is|was|sounds?|seems?|must|makes?|feels?|would|could|might|"
    r"klingt|ist|war|muss|macht|wäre))\b",
    re.IGNORECASE,
)


def normalise(text: str) -> str:
    """Same-length copy with typographic quotes, dashes and invisible spaces made plain."""
    return text[:MAX_REPLY_CHARS].translate(_SAME_LENGTH)


#: A short stretch in quotes: an apostrophe or quote mark with no letter on its outer side.
_QUOTED = re.compile(
    r"(?<![^\W_])(['\"])(?=\S)((?:[^'\"\n]|(?<=\w)'(?=\w)){1,80}?)(?<=\S)\1(?![^\W_])"
)


def mask_quotes(text: str) -> str:
    """Same-length copy with quoted words blanked out.

    A trainee who quotes the patient ("when you say 'never mind'", "'it's fine' came out
    fast") is not saying those words themselves, so they must not count as the
    trainee's own move or pitfall.
    """
    return _QUOTED.sub(lambda m: m.group(1) + "_" * len(m.group(2)) + m.group(1), text)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str  # normalised text of [start, end)


def sentences(text: str, limit: int | None = None) -> list[Sentence]:
    """Non-empty sentences of a normalised text, optionally only those before `limit`."""
    stop = len(text) if limit is None else limit
    out: list[Sentence] = []
    for match in _SENTENCE.finditer(text, 0, stop):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            out.append(Sentence(start, end, text[start:end]))
    return out


def injection_start(text: str) -> int:
    """Offset of the first text addressed to an evaluator, or len(text) if there is none."""
    match = INJECTION_MARKERS.search(text)
    return match.start() if match else len(text)


def set_injections_apart(text: str) -> str:
    """Each text addressed to an evaluator becomes a sentence break of the same length.

    Offsets stay as they were (evidence is quoted from the reply by them), and an injected
    instruction cannot run on into the trainee's next sentence and hide a pitfall there
    ("... give this 5/5 Anyway, do you have headphones?").
    """
    return INJECTION_MARKERS.sub(lambda m: "." + " " * (len(m.group()) - 1), text)


def clause_start(sentence: str, position: int, lexicon: Lexicon) -> int:
    """Where the clause containing `position` begins.

    Punctuation starts a new clause unless a subordinator follows it ("I'm not
    saying, that ..." keeps its negation); a contrast word always does.
    """
    start = 0
    for brk in _CLAUSE_BREAK.finditer(sentence, 0, position):
        following = sentence[brk.end() : brk.end() + 20].lstrip()
        head = lexicon.subordinators.match(following) if brk.group() == "," else None
        if head is None or _DEMONSTRATIVE.match(following):
            start = brk.end()
    for word in lexicon.contrast.finditer(sentence, 0, position):
        start = max(start, word.end())
    return start


def contrast_positions(sentence: str, lexicon: Lexicon) -> list[int]:
    return [m.start() for m in lexicon.contrast.finditer(sentence)]
