"""`python -m bot bench` runs end to end with tiny numbers: its table and JSON, no timings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.__main__ import main

TINY = [
    "bench",
    "--trainees",
    "4",
    "--turns",
    "3",
    "--model-latency",
    "0.01",
    "--overhead-model-latency",
    "0",
    "--sessions",
    "1",
]


def test_bench_prints_its_table_and_writes_the_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"

    assert main([*TINY, "--json", str(out)]) == 0

    printed = capsys.readouterr().out
    for heading in (
        "[sqlite] per-turn overhead",
        "[sqlite] 4 trainees mid-session send at once",
        "[sqlite] non-model throughput",
        "model cost per trainee turn",
        "goals (ratios against the echo floor measured in this run)",
    ):
        assert heading in printed
    for row in (
        "aiogram echo handler (floor)",
        "scripted patient + rule judge",
        "LLM patient + LLM judge",
        "LLM patient + rule judge",
        "ending a session (/end: feedback + chart)",
        "echo after a 0.01 s wait",
        "echo + rule judge + one durable write (library floor)",
        "typing + model call through openai (library floor)",
        '"typing..." sent before any model call',
        "patient prompt that is a stable, cacheable prefix",
    ):
        assert row in printed
    assert printed.count("PASS") + printed.count("MISS") == 7
    assert printed.count("  bot / library floor: ") == 3

    report = json.loads(out.read_text())
    assert set(report) == {"meta", "databases", "model_cost", "goals"}
    sqlite = report["databases"]["sqlite"]
    assert set(sqlite) == {"overhead", "concurrency", "throughput"}
    assert set(sqlite["overhead"]) == {
        "echo",
        "library_floor",
        "scripted",
        "llm",
        "session_end",
        "bot_over_library_floor",
    }
    assert sqlite["overhead"]["library_floor"]["n"] == 3
    assert {"median", "p99"} <= set(sqlite["overhead"]["bot_over_library_floor"])
    assert sqlite["overhead"]["scripted"]["failed_turns"] == 0
    assert sqlite["overhead"]["llm"]["failed_turns"] == 0
    concurrency = sqlite["concurrency"]["bot"]
    assert concurrency["trainees"] == 4
    assert concurrency["missing_replies"] == 0
    assert concurrency["failed_turns"] == 0
    assert {"reply_p50_ms", "reply_p99_ms", "turns_per_s", "peak_rss_mb"} <= set(concurrency)
    assert sqlite["throughput"]["bot"]["missing_replies"] == 0
    for run in ("concurrency", "throughput"):
        assert {"echo", "library_floor", "bot", "bot_over_library_floor"} <= set(sqlite[run])
        floor = sqlite[run]["library_floor"]
        assert floor["trainees"] == 4
        assert floor["missing_replies"] == 0
        assert {"turns_per_s", "reply_p50", "reply_p99"} <= set(
            sqlite[run]["bot_over_library_floor"]
        )
    assert sqlite["concurrency"]["library_floor"]["model_calls_per_turn"] == 1
    assert sqlite["throughput"]["library_floor"]["model_calls_per_turn"] == 0
    patient = report["model_cost"]["patient"]
    assert patient["calls_per_turn"] == 1
    assert patient["prompt_tokens_per_turn"] > patient["completion_tokens_per_turn"] > 0
    assert 0 < patient["system_prompt_share"] <= patient["cacheable_prefix_share"] <= 1
    assert {g["name"] for g in report["goals"]} >= {
        '"typing..." sent before any model call',
        "non-model throughput (harness included)",
    }


def test_bench_refuses_a_database_url_that_is_not_postgresql(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*TINY, "--database-url", "mysql://localhost/x"]) == 2

    err = capsys.readouterr().err
    assert err.startswith("error: --database-url takes a PostgreSQL URL")
    assert "Traceback" not in err
