"""A loopback server speaking the OpenAI chat and transcription API, for tests.

The real openai client runs against it, so tests cover the SDK's request
building, retries, timeouts and parsing. Every request is recorded; replies are
scripted per call from a queue::

    async with FakeOpenAI() as fake:
        fake.enqueue(FakeReply.text("Fine."), FakeReply.error(500))
        client = make_client(fake.base_url, "test-key", timeout_s=1, max_retries=0)
        ...
        assert fake.chat_requests[0]["messages"][0]["role"] == "system"

When the queue is empty the server answers with a canned in-character line (or
the `responder` callback's choice, which sees the request body).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

DEFAULT_LINE = "I don't know. I'm just telling you it isn't working for me."
DEFAULT_TRANSCRIPT = "I hear that the homework feels pointless to you."
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class FakeUsage:
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        }


@dataclass(frozen=True)
class FakeReply:
    """One scripted answer. Build it with the class methods below."""

    content: str | None = DEFAULT_LINE
    refusal_text: str | None = None
    finish_reason: str = "stop"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    usage: FakeUsage | None = None

    @classmethod
    def text(cls, content: str, *, usage: FakeUsage | None = None) -> FakeReply:
        """A plain assistant message (also the transcript text on the audio endpoint)."""
        return cls(content=content, usage=usage)

    @classmethod
    def json_content(cls, value: Any, *, usage: FakeUsage | None = None) -> FakeReply:
        """A JSON object as the message content, what `parse()` expects."""
        return cls(content=json.dumps(value), usage=usage)

    @classmethod
    def raw(cls, content: str) -> FakeReply:
        """Content sent as is, e.g. invalid JSON for a structured-output call."""
        return cls(content=content)

    @classmethod
    def refusal(cls, message: str = "I'm sorry, I can't help with that.") -> FakeReply:
        """content null and message.refusal set, as for a refused structured output."""
        return cls(content=None, refusal_text=message)

    @classmethod
    def truncated(cls, content: str = '{"items": [{"id": "explore') -> FakeReply:
        """finish_reason "length": the output hit the token limit."""
        return cls(content=content, finish_reason="length")

    @classmethod
    def content_filter(cls) -> FakeReply:
        return cls(content=None, finish_reason="content_filter")

    @classmethod
    def error(cls, status: int = 500, *, retry_after_s: float | None = None) -> FakeReply:
        """An HTTP error; `retry_after_s` sends retry-after-ms (keep it small in tests)."""
        headers = {}
        if retry_after_s is not None:
            headers["retry-after-ms"] = str(int(retry_after_s * 1000))
        return cls(content=None, status=status, headers=headers)

    @classmethod
    def rate_limited(cls, retry_after_s: float = 0.01) -> FakeReply:
        return cls.error(429, retry_after_s=retry_after_s)

    @classmethod
    def slow(cls, delay_s: float, then: FakeReply | None = None) -> FakeReply:
        """Wait before answering, to run into the client's timeout."""
        base = then or cls()
        return cls(
            content=base.content,
            refusal_text=base.refusal_text,
            finish_reason=base.finish_reason,
            status=base.status,
            headers=base.headers,
            delay_s=delay_s,
            usage=base.usage,
        )


@dataclass
class RecordedRequest:
    """What the client sent: the path, the JSON body (or form fields) and uploaded files."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


Responder = Callable[[RecordedRequest], FakeReply | None]


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // CHARS_PER_TOKEN) if text else 0


def _message_text(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


class FakeOpenAI:
    """The fake server; use as `async with FakeOpenAI() as fake:`."""

    def __init__(
        self,
        *,
        default_line: str = DEFAULT_LINE,
        default_transcript: str = DEFAULT_TRANSCRIPT,
        responder: Responder | None = None,
        latency_s: float = 0.0,
    ) -> None:
        """`latency_s` is added to every answer's delay: a model at a fixed latency."""
        self.default_line = default_line
        self.latency_s = latency_s
        self.default_transcript = default_transcript
        self.responder = responder
        self.requests: list[RecordedRequest] = []
        self._chat_queue: deque[FakeReply] = deque()
        self._audio_queue: deque[FakeReply] = deque()
        self._seen_prefixes: set[str] = set()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """JSON bodies sent to /v1/chat/completions, in order (retries included)."""
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def audio_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/audio/transcriptions")]

    def enqueue(self, *replies: FakeReply) -> None:
        """Script the next chat completion answers, one per request (retries take one each)."""
        self._chat_queue.extend(replies)

    def enqueue_transcription(self, *replies: FakeReply) -> None:
        self._audio_queue.extend(replies)

    @property
    def pending(self) -> int:
        """Scripted chat replies not yet used; a test can assert it reached 0."""
        return len(self._chat_queue)

    async def start(self) -> FakeOpenAI:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/audio/transcriptions", self._transcription)
        self._runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log=None,
            shutdown_timeout=1.0,
            handler_cancellation=True,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeOpenAI:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _next(self, queue: deque[FakeReply], request: RecordedRequest) -> FakeReply | None:
        if queue:
            return queue.popleft()
        if self.responder is not None:
            return self.responder(request)
        return None

    async def _wait(self, reply: FakeReply) -> None:
        delay = reply.delay_s + self.latency_s
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), timeout=delay)

    def _error(self, reply: FakeReply) -> web.Response:
        body = {
            "error": {
                "message": f"fake error {reply.status}",
                "type": "rate_limit_error" if reply.status == 429 else "server_error",
                "param": None,
                "code": None,
            }
        }
        return web.json_response(body, status=reply.status, headers=reply.headers)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        recorded = RecordedRequest(request.path, body, dict(request.headers))
        self.requests.append(recorded)
        reply = self._next(self._chat_queue, recorded) or FakeReply.text(self.default_line)
        await self._wait(reply)
        if reply.status != 200:
            return self._error(reply)
        return web.json_response(self._completion(body, reply), headers=reply.headers)

    def _completion(self, body: dict[str, Any], reply: FakeReply) -> dict[str, Any]:
        usage = reply.usage or self._usage(body, reply)
        return {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "system_fingerprint": "fp_fake",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": reply.content,
                        "refusal": reply.refusal_text,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": usage.as_json(),
        }

    def _usage(self, body: dict[str, Any], reply: FakeReply) -> FakeUsage:
        """Rough counts; a first message seen before counts as cached, like prefix caching."""
        messages = body.get("messages") or []
        prompt = sum(_estimate_tokens(_message_text(m)) + 4 for m in messages)
        cached = 0
        if messages:
            first = json.dumps(messages[0], sort_keys=True)
            if first in self._seen_prefixes:
                cached = _estimate_tokens(_message_text(messages[0]))
            self._seen_prefixes.add(first)
        completion = _estimate_tokens(reply.content or reply.refusal_text or "")
        return FakeUsage(prompt, completion, cached)

    async def _transcription(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        fields: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for name, value in form.items():
            if isinstance(value, web.FileField):
                files[name] = (value.filename, value.file.read())
            else:
                fields[name] = value
        recorded = RecordedRequest(request.path, fields, dict(request.headers), files)
        self.requests.append(recorded)
        reply = self._next(self._audio_queue, recorded) or FakeReply.text(self.default_transcript)
        await self._wait(reply)
        if reply.status != 200:
            return self._error(reply)
        seconds = max(1, len(files.get("file", ("", b""))[1]) // 16000)
        return web.json_response(
            {
                "text": reply.content or "",
                "usage": {"type": "duration", "seconds": seconds},
            },
            headers=reply.headers,
        )
