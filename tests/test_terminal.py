"""Terminal practice driven through stdin, end to end, as a trainee would use it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import ROOT

OPENING = (
    "Daniel: Honestly? I didn't do it because it's pointless. I write down \"I'm useless\", "
    "then I'm supposed to find \"evidence against\" like it's a school exercise. Six weeks and "
    "I feel exactly the same."
)
REPLY = "You're right, I kept explaining the method instead of listening to you. That's on me."


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TELEGRAM_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'chat.db'}"
    env["USER"] = "trainee-one"
    env["LOGNAME"] = "trainee-one"
    return env


def _chat(tmp_path: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(tmp_path),
        timeout=60,
        check=False,
    )


def test_choose_a_persona_practise_and_get_feedback(tmp_path: Path) -> None:
    result = _chat(tmp_path, f"1\n{REPLY}\n/hint\n/end\n", "--seed", "1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(
        "Who would you like to practise with?\n   1. [confrontation, ★] The homework is pointless"
    )
    assert "=== The homework is pointless ===\nDaniel, 41 · CBT, session 6\n" in out
    assert OPENING in out
    assert "💡 Hint: " in out
    feedback = out.split("— session ended —", 1)[1]
    assert "Resolution: 2/5" in feedback or "Resolution: 3/5" in feedback
    assert f"“{REPLY}”" in feedback or "“That's on me.”" in feedback
    assert "Acknowledging your contribution (Turn 1)" in feedback
    assert result.stderr == ""


def test_unknown_persona_is_a_clear_message(tmp_path: Path) -> None:
    result = _chat(tmp_path, "", "--persona", "nobody")
    assert result.returncode == 0
    assert result.stdout.strip() == "There is no persona called 'nobody'."


def test_llm_engine_without_a_model_is_a_one_line_error(tmp_path: Path) -> None:
    result = _chat(tmp_path, "", "--engine", "llm")
    assert result.returncode == 2
    assert result.stderr == (
        "error: --engine llm needs a model server: set OPENAI_API_KEY and/or OPENAI_BASE_URL.\n"
    )


def _turns(db: Path) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("select count(*) from turns").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_a_killed_session_continues_where_it_stopped(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--persona", "homework-pointless", "--seed", "2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env=_env(tmp_path),
    )
    assert proc.stdin is not None
    proc.stdin.write(REPLY + "\n")
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    while _turns(tmp_path / "chat.db") < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdin.close()
    assert _turns(tmp_path / "chat.db") == 3

    result = _chat(tmp_path, "y\n/end\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "You have an unfinished session with Daniel (The homework is pointless, 1 replies so far). "
        "Continue it? [Y/n] "
    )
    assert "Acknowledging your contribution (Turn 1)" in result.stdout
