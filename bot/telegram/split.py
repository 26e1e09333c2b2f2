"""Splitting Telegram HTML at the 4096-character limit without breaking the markup.

Cuts prefer a paragraph break, then a line break, then the end of a sentence, then a
space; only a text with none of these is cut mid-word. A cut never falls inside a tag
or an entity (`&amp;`), and tags open at the cut are closed at the end of the chunk and
reopened at the start of the next, so every chunk is valid HTML on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TELEGRAM_LIMIT = 4096

_TOKEN = re.compile(r"<[^<>]*>|&#?\w+;|[^<&]+|[<&]")
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][\w-]*)")
_BOUNDARIES = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"[.!?…:;][\"'”’»)]*\s"),
    re.compile(r"\s"),
)


@dataclass(frozen=True)
class _Open:
    name: str
    tag: str


def _scan(text: str) -> dict[int, tuple[_Open, ...]]:
    """The tags open at every position where a cut is allowed (outside tags and entities)."""
    safe: dict[int, tuple[_Open, ...]] = {}
    stack: list[_Open] = []
    for match in _TOKEN.finditer(text):
        token, start = match.group(), match.start()
        if token.startswith("<") and len(token) > 1:
            safe[start] = tuple(stack)
            tag = _TAG.match(token)
            if tag:
                closing, name = tag.group(1), tag.group(2).lower()
                if closing:
                    for depth in range(len(stack) - 1, -1, -1):
                        if stack[depth].name == name:
                            del stack[depth:]
                            break
                elif not token.endswith("/>"):
                    stack.append(_Open(name, token))
        elif token.startswith("&") and len(token) > 1:
            safe[start] = tuple(stack)
        else:
            frozen = tuple(stack)
            for offset in range(len(token)):
                safe[start + offset] = frozen
    safe[len(text)] = tuple(stack)
    return safe


def _opening(tags: tuple[_Open, ...]) -> str:
    return "".join(t.tag for t in tags)


def _closing(tags: tuple[_Open, ...]) -> str:
    return "".join(f"</{t.name}>" for t in reversed(tags))


def _fits(text: str, start: int, cut: int, safe: dict[int, tuple[_Open, ...]], limit: int) -> bool:
    body = text[start:cut].rstrip()
    return len(_opening(safe[start])) + len(body) + len(_closing(safe[cut])) <= limit


def _best_cut(text: str, start: int, safe: dict[int, tuple[_Open, ...]], limit: int) -> int:
    end = min(len(text), start + limit)
    while end > start + 1 and (end not in safe or not _fits(text, start, end, safe, limit)):
        end -= 1
    if end == len(text):
        return end
    window = text[start:end]
    for shortest in (limit // 4, 1):
        for pattern in _BOUNDARIES:
            for match in reversed(list(pattern.finditer(window))):
                cut = start + match.end()
                if match.start() < shortest:
                    break
                if cut in safe and _fits(text, start, cut, safe, limit):
                    return cut
    if end in safe and end > start:
        return end
    return min(p for p in safe if p > start)


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Chunks of at most `limit` characters, each with balanced tags; empty text gives []."""
    if limit < 64:
        raise ValueError("limit must be at least 64 characters")
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    safe = _scan(text)
    chunks: list[str] = []
    start = 0
    while start < len(text):
        cut = _best_cut(text, start, safe, limit)
        body = text[start:cut].rstrip()
        if body:
            chunks.append(_opening(safe[start]) + body + _closing(safe[cut]))
        start = cut
        while start < len(text) and text[start].isspace():
            start += 1
    return chunks
