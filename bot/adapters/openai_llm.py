"""The one module that talks to an OpenAI-compatible model server.

Everything else (the LLM patient, the LLM judge, the Telegram voice handler) goes
through the small functions and classes here, so a provider change or an SDK
upgrade touches one file. Failures are turned into `LLMUnavailable`, which the
callers answer with their offline fallback: the trainee is never left without a
reply and a score is never invented.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from openai import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncOpenAI,
    ContentFilterFinishReasonError,
    DefaultAioHttpClient,
    LengthFinishReasonError,
    OpenAIError,
    omit,
)
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from pydantic import BaseModel, ValidationError

from bot.domain.evaluation import TokenUsage

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

#: how prompts name the content languages ("Reply in German", "feedback ... in German")
LANGUAGE_NAMES = {"en": "English", "de": "German"}

#: chat messages as plain dicts ({"role": ..., "content": ...}); tests pin their shape
Messages = Sequence[dict[str, str]]

__all__ = [
    "LANGUAGE_NAMES",
    "AsyncOpenAI",
    "JudgeOutput",
    "LLMJudge",
    "LLMPatient",
    "LLMUnavailable",
    "Messages",
    "OpenAITranscriber",
    "ParsedCompletion",
    "TextCompletion",
    "TranscriptionFailed",
    "build_judge_messages",
    "build_patient_messages",
    "complete_parsed",
    "complete_text",
    "make_client",
]


def make_client(
    base_url: str | None, api_key: str, timeout_s: float, max_retries: int
) -> AsyncOpenAI:
    """A client with an explicit timeout and retry budget.

    The SDK defaults (10 minutes, 2 retries with back-off) would leave a trainee
    staring at "typing..." for minutes; the callers have an offline fallback, so a
    short budget is better. `base_url=None` means the official endpoint.

    HTTP goes through aiohttp (the SDK's `DefaultAioHttpClient`) rather than its default
    transport: with hundreds of trainees waiting on the model at once, the default
    connection pool spent ~10 ms of CPU per request (500 requests at 1 s latency took
    5.3-6.4 s against 3.3-3.6 s; `python -m benchmarks.profile_turn --burst`).
    """
    return AsyncOpenAI(
        base_url=base_url,
        api_key=api_key,
        timeout=timeout_s,
        max_retries=max_retries,
        http_client=DefaultAioHttpClient(timeout=timeout_s),
    )


class LLMUnavailable(Exception):
    """The model gave no usable answer; `usage` holds tokens already billed, if known."""

    def __init__(self, reason: str, usage: TokenUsage | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.usage = usage


@dataclass(frozen=True)
class TextCompletion:
    text: str
    finish_reason: str
    usage: TokenUsage | None


@dataclass(frozen=True)
class ParsedCompletion(Generic[M]):
    value: M
    usage: TokenUsage | None


def usage_of(completion: Any) -> TokenUsage | None:
    """Token counts from a completion, including prompt-cache hits when reported."""
    usage = getattr(completion, "usage", None)
    if usage is None:
        return None
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    return TokenUsage(
        prompt_tokens=usage.prompt_tokens or 0,
        completion_tokens=usage.completion_tokens or 0,
        cached_tokens=cached or 0,
    )


def add_usage(a: TokenUsage | None, b: TokenUsage | None) -> TokenUsage | None:
    if a is None or b is None:
        return a or b
    return TokenUsage(
        prompt_tokens=a.prompt_tokens + b.prompt_tokens,
        completion_tokens=a.completion_tokens + b.completion_tokens,
        cached_tokens=a.cached_tokens + b.cached_tokens,
    )


def _describe(exc: Exception) -> str:
    """A log-safe reason: the kind of failure, never the prompt or the reply."""
    if isinstance(exc, APITimeoutError):
        return "timeout"
    if isinstance(exc, APIConnectionError):
        return "connection error"
    if isinstance(exc, APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, LengthFinishReasonError):
        return "output truncated (length)"
    if isinstance(exc, ContentFilterFinishReasonError):
        return "content filter"
    if isinstance(exc, ValidationError | ValueError):
        return "output does not match the schema"
    return type(exc).__name__


def _messages(messages: Messages) -> list[ChatCompletionMessageParam]:
    return cast("list[ChatCompletionMessageParam]", [dict(m) for m in messages])


async def complete_text(
    client: AsyncOpenAI,
    *,
    model: str,
    messages: Messages,
    max_completion_tokens: int | None = None,
) -> TextCompletion:
    """One plain chat completion; raises `LLMUnavailable` on any failure.

    Sent with the client's `post` (the SDK's way to send a request body as is) rather than
    `chat.completions.create`: `create` runs every message through its TypedDict transform,
    ~2.9 ms of CPU a call when 1,000 trainees wait on the model at once, a fifth of a turn
    (`python -m benchmarks.profile_turn --engine llm --burst 1000 --model-latency 1`).
    Our messages are plain role/content strings that need no transform; auth, retries,
    timeouts and the parsed `ChatCompletion` are the same.
    """
    body: dict[str, object] = {"model": model, "messages": [dict(m) for m in messages]}
    if max_completion_tokens:
        body["max_completion_tokens"] = max_completion_tokens
    try:
        completion = await client.post("/chat/completions", body=body, cast_to=ChatCompletion)
    except (OpenAIError, ValueError) as exc:
        raise LLMUnavailable(_describe(exc)) from exc
    usage = usage_of(completion)
    if not completion.choices:
        raise LLMUnavailable("no choices in the response", usage)
    choice = completion.choices[0]
    text = choice.message.content or ""
    if choice.finish_reason == "content_filter":
        raise LLMUnavailable("content filter", usage)
    if not text.strip():
        reason = "refusal" if choice.message.refusal else "empty content"
        raise LLMUnavailable(reason, usage)
    return TextCompletion(text=text, finish_reason=choice.finish_reason or "", usage=usage)


async def complete_parsed(
    client: AsyncOpenAI,
    *,
    model: str,
    messages: Messages,
    schema: type[M],
    max_completion_tokens: int | None = None,
) -> ParsedCompletion[M]:
    """Structured output validated against `schema`; raises `LLMUnavailable` on any failure.

    Truncated, filtered, refused or off-schema output all count as failures.
    """
    try:
        completion = await client.chat.completions.parse(
            model=model,
            messages=_messages(messages),
            response_format=schema,
            max_completion_tokens=max_completion_tokens or omit,
        )
    except (LengthFinishReasonError, ContentFilterFinishReasonError) as exc:
        raise LLMUnavailable(_describe(exc), usage_of(exc.completion)) from exc
    except (OpenAIError, ValueError) as exc:
        raise LLMUnavailable(_describe(exc)) from exc
    usage = usage_of(completion)
    if not completion.choices:
        raise LLMUnavailable("no choices in the response", usage)
    message = completion.choices[0].message
    if message.refusal:
        raise LLMUnavailable("refusal", usage)
    if message.parsed is None:
        raise LLMUnavailable("empty content", usage)
    return ParsedCompletion(value=message.parsed, usage=usage)


class TranscriptionFailed(Exception):
    """A voice message could not be transcribed; the message says why (no audio content)."""


class OpenAITranscriber:
    """Speech to text for voice replies, through the audio transcription endpoint."""

    def __init__(self, client: AsyncOpenAI, model: str) -> None:
        self._client = client
        self._model = model

    async def transcribe(self, audio: bytes, filename: str, language: str | None = None) -> str:
        try:
            result = await self._client.audio.transcriptions.create(
                model=self._model,
                file=(filename, audio),
                language=language or omit,
            )
        except (OpenAIError, ValueError) as exc:
            raise TranscriptionFailed(_describe(exc)) from exc
        return result.text.strip()


# The engines live in llm_patient.py / llm_judge.py (which import the helpers above) and are
# re-exported here so callers find everything model-related in one place. Safe because any
# import of bot.adapters.* runs the package __init__, which imports this module first.
from bot.adapters.llm_judge import JudgeOutput, LLMJudge, build_judge_messages  # noqa: E402
from bot.adapters.llm_patient import LLMPatient, build_patient_messages  # noqa: E402
