"""Model cost per trainee turn: tokens sent to and received from the patient and the judge.

Prompts are counted from what the bot really sent to the fake model server. With the
optional `bpe-openai` package (``pip install -e '.[bench]'``; the o200k_base tables
ship inside it, nothing is downloaded) counts are exact for gpt-4o-class models;
without it they fall back to the fake server's estimate of four characters a token.
Completions are the fake's own answers, so their size is illustrative only.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.servers import ModelCall, bench_responder
from tests.fakes.openai_server import CHARS_PER_TOKEN, RecordedRequest

#: chat-format tokens per message and for priming the answer (OpenAI's published recipe)
TOKENS_PER_MESSAGE = 3
REPLY_PRIMING = 3


@dataclass(frozen=True)
class Tokenizer:
    name: str
    encode: Callable[[str], list[int]]

    def count(self, text: str) -> int:
        return len(self.encode(text))


def tokenizer() -> Tokenizer:
    try:
        with warnings.catch_warnings():  # it loads its tables with a deprecated importlib call
            warnings.simplefilter("ignore", DeprecationWarning)
            import bpe_openai

            encoding = bpe_openai.get_encoding("o200k_base")
    except Exception:  # not installed, or its tables unreadable: estimate instead
        return Tokenizer(
            f"estimate ({CHARS_PER_TOKEN} characters a token; install the 'bench' extra)",
            lambda text: [0] * (len(text) // CHARS_PER_TOKEN),
        )
    return Tokenizer("o200k_base (bpe-openai)", lambda text: list(encoding.encode(text)))


def _message_tokens(tok: Tokenizer, message: dict[str, Any]) -> list[int]:
    """A message as the model sees it: framing, role and content (framing as -1s)."""
    content = message.get("content")
    text = content if isinstance(content, str) else ""
    return [-1] * TOKENS_PER_MESSAGE + tok.encode(str(message.get("role", ""))) + tok.encode(text)


def _prompt_tokens(tok: Tokenizer, messages: Sequence[dict[str, Any]]) -> list[int]:
    tokens: list[int] = []
    for message in messages:
        tokens += _message_tokens(tok, message)
    return tokens + [-1] * REPLY_PRIMING


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length


def _completion_tokens(tok: Tokenizer, body: dict[str, Any]) -> int:
    reply = bench_responder(RecordedRequest("/v1/chat/completions", body, {}))
    return tok.count(reply.content or "")


@dataclass
class RoleCost:
    calls: int = 0
    prompt: int = 0
    completion: int = 0
    system: int = 0
    cacheable: int = 0
    seen: list[list[int]] = field(default_factory=list)

    def add(self, tokens: list[int], system: int, completion: int) -> None:
        """One call: its prompt, its system message's length and the answer's length.

        Cacheable is the longest prefix already sent in an earlier call, and at least
        the system prompt: it is the same for every session of the persona (or every
        reply the judge scores), so in service it is always in the provider's cache.
        """
        shared = max((_common_prefix(earlier, tokens) for earlier in self.seen), default=0)
        self.calls += 1
        self.prompt += len(tokens)
        self.completion += completion
        self.system += system
        self.cacheable += max(system, shared)
        self.seen.append(tokens)

    def result(self, turns: int) -> dict[str, Any]:
        return {
            "calls_per_turn": self.calls / turns if turns else 0.0,
            "prompt_tokens_per_turn": self.prompt / turns if turns else 0.0,
            "completion_tokens_per_turn": self.completion / turns if turns else 0.0,
            "system_prompt_share": self.system / self.prompt if self.prompt else 0.0,
            "cacheable_prefix_share": self.cacheable / self.prompt if self.prompt else 0.0,
        }


def model_cost(
    calls_per_turn: Sequence[Sequence[ModelCall]], turns_per_session: int
) -> dict[str, Any]:
    """Token figures per trainee turn; `calls_per_turn` lists each turn's model calls in order.

    `system_prompt_share` is the system prompt's part of all prompt tokens;
    `cacheable_prefix_share` adds the conversation already sent on an earlier turn,
    which a provider's prefix cache (OpenAI's automatic one, or a cache breakpoint)
    serves too, since the prompt is laid out system prompt, conversation, state note.
    """
    tok = tokenizer()
    roles = {"patient": RoleCost(), "judge": RoleCost()}
    for calls in calls_per_turn:
        for call in calls:
            if call.body is None:
                continue
            messages = list(call.body.get("messages") or [])
            system = 0
            if messages and messages[0].get("role") == "system":
                system = len(_message_tokens(tok, messages[0]))
            roles["judge" if call.judge else "patient"].add(
                _prompt_tokens(tok, messages), system, _completion_tokens(tok, call.body)
            )
    turns = len(calls_per_turn)
    return {
        "tokenizer": tok.name,
        "turns": turns,
        "turns_per_session": turns_per_session,
        "patient": roles["patient"].result(turns),
        "judge": roles["judge"].result(turns),
    }
