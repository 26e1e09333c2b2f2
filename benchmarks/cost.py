"""Model cost per trainee turn: tokens sent to and received from the patient and the judge.

Prompts are counted from what the bot really sent to the fake model server. With the
optional `bpe-openai` package (``pip install -e '.[bench]'``; the o200k_base tables
ship inside it, nothing is downloaded) counts are exact for gpt-4o-class models;
without it they fall back to the fake server's estimate of four characters a token.
Completions are the fake's own answers, so their size is illustrative only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
        import bpe_openai
    except ImportError:
        return Tokenizer(
            f"estimate ({CHARS_PER_TOKEN} characters a token; install the 'bench' extra)",
            lambda text: [0] * (len(text) // CHARS_PER_TOKEN),
        )
    encoding = bpe_openai.get_encoding("o200k_base")
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
    shared_with_previous: int = 0

    def result(self, turns: int) -> dict[str, Any]:
        return {
            "calls_per_turn": self.calls / turns if turns else 0.0,
            "prompt_tokens_per_turn": self.prompt / turns if turns else 0.0,
            "completion_tokens_per_turn": self.completion / turns if turns else 0.0,
            "stable_prefix_share": self.system / self.prompt if self.prompt else 0.0,
            "previous_prompt_share": (
                self.shared_with_previous / self.prompt if self.prompt else 0.0
            ),
        }


def model_cost(
    calls_per_turn: Sequence[Sequence[ModelCall]], turns_per_session: int
) -> dict[str, Any]:
    """Token figures per trainee turn; `calls_per_turn` lists each turn's model calls in order.

    `stable_prefix_share` is the system prompt's part of all prompt tokens (the same on
    every turn, so a provider's prompt cache serves it); `previous_prompt_share` is the
    part identical to the previous call of the same role in the same session (what a
    prefix cache can reuse within a session).
    """
    tok = tokenizer()
    roles = {"patient": RoleCost(), "judge": RoleCost()}
    previous: dict[str, list[int]] = {}
    for number, calls in enumerate(calls_per_turn):
        if number % turns_per_session == 0:
            previous.clear()
        for call in calls:
            if call.body is None:
                continue
            role = "judge" if call.judge else "patient"
            messages = list(call.body.get("messages") or [])
            tokens = _prompt_tokens(tok, messages)
            cost = roles[role]
            cost.calls += 1
            cost.prompt += len(tokens)
            cost.completion += _completion_tokens(tok, call.body)
            if messages and messages[0].get("role") == "system":
                cost.system += len(_message_tokens(tok, messages[0]))
            cost.shared_with_previous += _common_prefix(previous.get(role, []), tokens)
            previous[role] = tokens
    turns = len(calls_per_turn)
    return {
        "tokenizer": tok.name,
        "turns": turns,
        "turns_per_session": turns_per_session,
        "patient": roles["patient"].result(turns),
        "judge": roles["judge"].result(turns),
    }
