"""The loopback fakes (Bot API and model server) in a child process.

The bot under test and the fakes would otherwise share one event loop and one core,
and every figure would include the fakes' own work. In a child process they run on
the machine's other core; the parent asks them over a pipe what they received.
Timestamps are `time.monotonic()`, one clock for every process on the machine.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import re
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from tests.fakes.openai_server import FakeOpenAI, FakeReply, RecordedRequest
from tests.fakes.telegram_server import FakeTelegram

#: what the fake patient says, picked by the trainee's reply (none of it is in any prompt)
PATIENT_LINES = (
    "I don't know. Every week I sit here and we go through the same things, "
    "and then I go home and nothing is different.",
    "Maybe. It's hard to say what I want from this when I'm not sure it's working at all.",
    "You keep asking me how I feel about it. I feel tired, mostly. Can we just move on?",
    "That's a bit closer, I suppose. I didn't expect you to say it like that.",
    "Okay. I guess I was annoyed last time and I didn't want to bring it up.",
)
JUDGE_FEEDBACK = (
    "You noticed the strain and invited the patient to say more about it, which keeps the "
    "door open. Next time, name your own part in it before asking a question."
)
#: a trainee reply containing this carries on with the task: the fake judge calls it a pitfall
PITFALL_QUOTE = "let's go through them again"
_REPLY = re.compile(r"<reply>\n(.*)\n</reply>", re.DOTALL)


def bench_responder(request: RecordedRequest) -> FakeReply:
    """A judge JSON answer for structured-output calls, a patient line for the rest."""
    body = request.body
    messages = body.get("messages") or [{}]
    last = str(messages[-1].get("content") or "")
    if "response_format" in body:
        match = _REPLY.search(last)
        reply = str(json.loads(match.group(1))) if match else ""
        if PITFALL_QUOTE in reply:
            items = [{"id": "ignores_rupture", "evidence_quote": PITFALL_QUOTE}]
            return FakeReply.json_content({"items": items, "rating": 2, "feedback": JUDGE_FEEDBACK})
        quote = " ".join(reply.split()[:6])
        items = [{"id": "explore_rupture", "evidence_quote": quote}] if quote else []
        return FakeReply.json_content({"items": items, "rating": 4, "feedback": JUDGE_FEEDBACK})
    return FakeReply.text(PATIENT_LINES[len(last) % len(PATIENT_LINES)])


@dataclass(frozen=True)
class TelegramCall:
    method: str
    chat_id: int | None
    at: float
    text: str = ""


@dataclass(frozen=True)
class ModelCall:
    at: float
    judge: bool
    body: dict[str, Any] | None


def _chat_id(params: dict[str, Any]) -> int | None:
    value = params.get("chat_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


async def _serve(conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    async with (
        FakeTelegram() as tg,
        FakeOpenAI(responder=bench_responder) as model,
    ):
        conn.send((tg.base_url, tg.token, model.base_url))
        cpu_start = time.process_time()
        while True:
            command, args = await loop.run_in_executor(None, conn.recv)
            if command == "stop":
                conn.send(None)
                return
            if command == "latency":
                model.latency_s = float(args)
                conn.send(None)
            elif command == "mark":
                conn.send((len(tg.calls), len(model.requests)))
            elif command == "telegram":
                conn.send(
                    [
                        TelegramCall(
                            c.method,
                            _chat_id(c.params),
                            c.at,
                            str(c.params.get("text") or "")[:200],
                        )
                        for c in tg.calls[int(args) :]
                    ]
                )
            elif command == "model":
                since, with_bodies = args
                conn.send(
                    [
                        ModelCall(
                            r.at, "response_format" in r.body, r.body if with_bodies else None
                        )
                        for r in model.requests[since:]
                        if r.path.endswith("/chat/completions")
                    ]
                )
            elif command == "cpu":
                conn.send(time.process_time() - cpu_start)
            elif command == "forget":
                tg.calls.clear()
                tg.chats.clear()
                model.requests.clear()
                conn.send(None)
            else:
                conn.send(ValueError(f"unknown command {command!r}"))


def _child(conn: Connection) -> None:
    asyncio.run(_serve(conn))


class FakeServers:
    """Parent-side handle: ``async with FakeServers() as servers:``."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(target=_child, args=(child_conn,), daemon=True)
        self._lock = asyncio.Lock()
        self.telegram_url = ""
        self.token = ""
        self.openai_url = ""

    async def __aenter__(self) -> FakeServers:
        self._process.start()
        loop = asyncio.get_running_loop()
        ready = await loop.run_in_executor(None, self._conn.poll, 60)
        try:
            if not ready:
                raise EOFError
            self.telegram_url, self.token, self.openai_url = self._conn.recv()
        except EOFError:
            self._process.kill()
            raise RuntimeError(
                "the fake servers did not start (run from the repository root, "
                "as python -m benchmarks.bench)"
            ) from None
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process.is_alive():
            try:
                await self._ask("stop")
            finally:
                self._process.join(5)
                if self._process.is_alive():
                    self._process.kill()

    async def _ask(self, command: str, args: Any = None) -> Any:
        async with self._lock:
            self._conn.send((command, args))
            answer = await asyncio.get_running_loop().run_in_executor(None, self._conn.recv)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def set_latency(self, seconds: float) -> None:
        await self._ask("latency", seconds)

    async def mark(self) -> tuple[int, int]:
        """Positions in the Bot API and model logs; pass them to the readers below."""
        telegram, model = await self._ask("mark")
        return int(telegram), int(model)

    async def telegram_calls(self, since: int) -> list[TelegramCall]:
        calls: list[TelegramCall] = await self._ask("telegram", since)
        return calls

    async def model_calls(self, since: int, *, bodies: bool = False) -> list[ModelCall]:
        calls: list[ModelCall] = await self._ask("model", (since, bodies))
        return calls

    async def cpu_seconds(self) -> float:
        """CPU time the fakes' process has used since it started."""
        return float(await self._ask("cpu"))

    async def forget(self) -> None:
        """Drop what the fakes recorded (between scenarios, to keep their memory flat)."""
        await self._ask("forget")
