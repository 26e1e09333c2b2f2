"""Processes dying: `kill -9` in the middle of writes, again and again; SIGTERM while a
model call is in flight; several processes writing one SQLite file at once."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.domain.ids import Speaker
from bot.practice.records import SessionRecord
from bot.storage import SqlPracticeStore, create_engine_for
from tests.fakes.openai_server import FakeOpenAI, FakeReply, RecordedRequest
from tests.fakes.telegram_server import FakeTelegram
from tests.helpers import ROOT
from tests.telegram_kit import USER, texts

REPLIES = [
    "Okay, go on.",
    "I hear that the homework feels pointless.",
    "What is it like for you to sit here with me right now?",
    "Mm. Tell me more.",
    "I think I pushed the sheets on you. That's on me.",
]
PATIENT_PREFIX = "Daniel: "


def chat_env(database: Path, user: str = "trainee-kill") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TELEGRAM_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        USER=user,
        LOGNAME=user,
        RATE_LIMIT_PER_MINUTE="0",
        DAILY_TURN_QUOTA="0",
        LOG_LEVEL="WARNING",
    )
    return env


def has_active_session(database: Path) -> bool:
    if not database.exists():
        return False
    with sqlite3.connect(database) as db:
        try:
            row = db.execute("SELECT count(*) FROM practice_sessions WHERE status = 'active'")
        except sqlite3.OperationalError:  # killed before the first migration finished
            return False
        return bool(row.fetchone()[0])


class Reader(threading.Thread):
    """Collects a process's stdout lines as they come."""

    def __init__(self, stream: Any) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.lines: list[str] = []

    def run(self) -> None:
        for line in self.stream:
            self.lines.append(line.rstrip("\n"))

    def patient_lines(self) -> list[str]:
        lines = []
        for line in self.lines:
            _, found, said = line.rpartition(PATIENT_PREFIX)
            if found:
                lines.append(said)
        return lines


def wait_until(condition: Callable[[], bool], within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def load_sessions(database: Path) -> list[SessionRecord]:
    async def read() -> list[SessionRecord]:
        engine = create_engine_for(f"sqlite:///{database}")
        try:
            store = SqlPracticeStore(engine)
            user = await store.find_user("terminal", "trainee-kill")
            assert user is not None
            summaries = await store.list_sessions(user.id, limit=100)
            found = [await store.get_session(s.id) for s in summaries]
            return [s for s in found if s is not None]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def run_and_kill(database: Path, rng: random.Random) -> list[str]:
    """Start terminal practice, feed it replies, SIGKILL it mid-write; the lines it printed."""
    first = "y" if has_active_session(database) else "homework-pointless"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--seed", "4"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env=chat_env(database),
    )
    assert proc.stdin is not None and proc.stdout is not None
    reader = Reader(proc.stdout)
    reader.start()
    try:
        proc.stdin.write("\n".join([first, *rng.sample(REPLIES, k=len(REPLIES))]) + "\n")
        proc.stdin.flush()
        seen = rng.randint(1, 4)
        wait_until(lambda: len(reader.patient_lines()) >= seen or proc.poll() is not None, 60)
        time.sleep(rng.uniform(0, 0.05))  # somewhere inside the next turn's writes
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.join(timeout=5)
    finally:
        proc.stdin.close()
        proc.stdout.close()
    return reader.patient_lines()


def test_kill_9_during_writes_again_and_again_loses_no_committed_turn(tmp_path: Path) -> None:
    database = tmp_path / "coach.db"
    rng = random.Random(20250301)
    printed: list[str] = []
    for _ in range(4):
        printed += run_and_kill(database, rng)

    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    sessions = load_sessions(database)  # every stored row parses: nothing half-written
    assert sessions
    stored_patient_lines: list[str] = []
    for session in sessions:
        turns = session.turns
        assert [t.index for t in turns] == list(range(len(turns)))
        assert [t.speaker for t in turns] == [
            Speaker.PATIENT if i % 2 == 0 else Speaker.TRAINEE for i in range(len(turns))
        ]
        for turn in turns[1:-1]:
            if turn.speaker is Speaker.TRAINEE:
                assert turn.evaluation is not None and turn.state is not None
        stored_patient_lines += [t.text for t in turns if t.speaker is Speaker.PATIENT]
    for line in printed:  # what the trainee saw was committed first
        assert line in stored_patient_lines
    assert len(printed) >= 4


def test_concurrent_sqlite_writer_processes_never_see_database_is_locked(tmp_path: Path) -> None:
    database = tmp_path / "coach.db"
    replies = [f"Okay, go on. ({n})" for n in range(8)]  # the session runs to /end
    script = "homework-pointless\n" + "\n".join(replies) + "\n/end\n"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "chat", "--seed", str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=chat_env(database, user=f"trainee-{n}"),
        )
        for n in range(4)
    ]
    results = [proc.communicate(script, timeout=180) for proc in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in out + err
        assert "— session ended" in out
    with sqlite3.connect(database) as db:
        counts = db.execute(
            "SELECT count(*) FROM turns JOIN practice_sessions s ON s.id = turns.session_id "
            "WHERE speaker = 'trainee' GROUP BY s.user_id"
        ).fetchall()
    assert counts == [(len(replies),)] * 4


async def until(condition: Callable[[], bool], within_s: float = 30.0) -> None:
    async with asyncio.timeout(within_s):
        for _ in itertools.count():
            if condition():
                return
            await asyncio.sleep(0.02)


MODEL_LINE = "You really want to hear it? Fine. It feels like a test."


async def test_sigterm_while_the_model_answers_finishes_the_turn_and_exits_cleanly(
    tmp_path: Path,
) -> None:
    def model(request: RecordedRequest) -> FakeReply:
        if "response_format" in request.body:
            return FakeReply.json_content({"items": [], "rating": 3, "feedback": "Partly."})
        return FakeReply.slow(1.5, then=FakeReply.text(MODEL_LINE))

    async with FakeTelegram() as tg, FakeOpenAI(responder=model) as ai:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TELEGRAM_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=tg.token,
            TELEGRAM_API_URL=tg.base_url,
            OPENAI_BASE_URL=ai.base_url,
            OPENAI_API_KEY="k",
            DATABASE_URL=f"sqlite:///{tmp_path / 'coach.db'}",
            SHUTDOWN_GRACE_SECONDS="20",
            LOG_LEVEL="INFO",
        )
        env.pop("REDIS_URL", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            tg.push(tg.text(USER, "/start"))
            await tg.wait_for("sendMessage", 1, within=60)
            steps = ("✅ I agree", "🎭 Practise", "Confrontation", "The homework is pointless · ★")
            for number, step in enumerate(steps, start=1):
                tg.push(tg.tap(USER, step))
                await tg.wait_for("answerCallbackQuery", number, within=30)
                await asyncio.sleep(0.2)  # the rest of the tap's answer (edits, messages)
            await tg.wait_for("sendMessage", 4, within=30)  # the header and the opening line
            tg.push(tg.text(USER, "I notice things feel tense between us right now."))
            await until(lambda: any("response_format" not in r.body for r in ai.requests))
            proc.send_signal(signal.SIGTERM)  # the patient model call is in flight
            _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        log = err.decode()
        assert proc.returncode == 0, log
        assert "Traceback" not in log
        assert "waiting for 1 update(s) in flight" in log
        assert tg.sent_texts(USER)[-1] == f"<b>Daniel:</b> {MODEL_LINE}"
        assert texts().error not in tg.sent_texts(USER)
