"""The LLM judge on recorded answers to its held-out requests (`evaluation/llm_judge_replay.py`).

The replay runs the real `LLMJudge` (openai client, structured output, evidence and injection
checks, the rating bound) against the loopback fake serving the recorded answers; these
figures guard those checks: a check that starts dropping good answers shows here.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path

import pytest

from bot.cli.evaluate import measure, predicted_labels, read_items
from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "evaluation"))
replay = importlib.import_module("llm_judge_replay")


def test_the_llm_judge_on_recorded_answers_meets_the_held_out_targets() -> None:
    answers = replay.read_answers(replay.ANSWERS)
    items, bad = read_items(replay.DEVSET, "heldout", sys.stderr)
    assert bad == 0
    assert sorted(answers) == sorted(item.id for item in items)  # every held-out line
    settings = Settings(_env_file=None)
    try:
        evaluations = asyncio.run(replay.replay(settings, items, answers))
    except SystemExit as exc:
        if "has changed since" not in str(exc):
            pytest.fail(str(exc))
        # a rubric or prompt edit: the answers no longer belong to the requests
        pytest.skip(f"{exc} (evaluation/README.md says how)")
    report = measure(items, [predicted_labels(e) for e in evaluations])["heldout"]
    assert report.items == len(items) == 661
    assert report.macro_f1_moves >= 0.75
    assert report.pitfall_recall >= 0.8
    assert report.rating_kappa >= 0.6
    assert all(e.judge == "llm" for e in evaluations)  # no line fell back to the rule judge
