"""The LLM judge measured on recorded model answers, through the product's own code path.

    .venv/bin/python evaluation/llm_judge_replay.py                      # held-out figures
    .venv/bin/python evaluation/llm_judge_replay.py --metrics-json m.json

`llm_judge_answers.jsonl` holds, for each held-out line of `devset.jsonl`, the answer a
model gave to the exact request the LLM judge sends (system prompt built from the rubric
file, the line's transcript and reply quoted as JSON). This script starts the loopback
OpenAI-compatible fake from `tests/fakes`, has it serve those answers, and runs the real
`LLMJudge` (the openai client, structured-output parsing, the evidence and injection
checks, the rating bound) on each line, then measures the result against the gold exactly
as `python -m bot evaluate --gold` does.

Each recorded answer carries the SHA-256 of the request it answered; if the prompt has
changed since (a rubric edit, a prompt change), the line is refused, because the answer
no longer belongs to the request. Record new answers then.

How the answers were made (session 4, 2026-11-26): no model server is reachable from this
machine, so four AI assistants (a frontier LLM) each acted as the model endpoint for a
quarter of the lines. Each saw only the two system prompts and the user messages, exactly
as the judge sends them; not the labelling guide, the gold labels, the repository or the
rule judge. Caveat: the gold was labelled by AI coders too, so shared habits may raise the
agreement; it measures the prompt and the checks with a strong model, not with the model a
deployment will use. `python -m bot evaluate --judge llm --gold` against a real server is
the measurement that counts for that model.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402

from bot.adapters.llm_judge import build_judge_messages  # noqa: E402
from bot.cli.evaluate import (  # noqa: E402
    EvalItem,
    measure,
    predicted_labels,
    read_items,
    report_metrics,
)
from bot.config import Settings  # noqa: E402
from bot.domain.evaluation import TurnEvaluation  # noqa: E402
from bot.wiring import build_judge, load_content  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI, FakeReply  # noqa: E402

DEVSET = ROOT / "evaluation" / "devset.jsonl"
ANSWERS = ROOT / "evaluation" / "llm_judge_answers.jsonl"


def request_digest(messages: list[dict[str, str]]) -> str:
    """SHA-256 of the request's messages: what a recorded answer answered."""
    return hashlib.sha256(json.dumps(messages, ensure_ascii=False).encode()).hexdigest()


def read_answers(path: Path) -> dict[str, dict[str, Any]]:
    answers: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            record = json.loads(line)
            if record["id"] in answers:
                raise SystemExit(f"error: {path}:{number}: id {record['id']!r} appears twice")
            answers[record["id"]] = record
    return answers


async def replay(
    settings: Settings, items: list[EvalItem], answers: dict[str, dict[str, Any]]
) -> list[TurnEvaluation]:
    catalog, _ = load_content(settings)
    evaluations = []
    async with FakeOpenAI() as fake:
        live = settings.model_copy(
            update={"openai_base_url": fake.base_url, "openai_api_key": SecretStr("replay")}
        )
        async with build_judge(live, catalog, "llm") as judge:
            for item in items:
                record = answers.get(item.id)
                if record is None:
                    raise SystemExit(f"error: no recorded answer for {item.id}")
                rubric = catalog.rubrics.get(item.lang) or catalog.rubrics["en"]
                if record["request_sha256"] != request_digest(build_judge_messages(rubric, item)):
                    raise SystemExit(
                        f"error: the judge's request for {item.id} has changed since its answer "
                        "was recorded (rubric or prompt edited): record the answers again"
                    )
                fake.enqueue(FakeReply.json_content(record["answer"]))
                evaluations.append(await judge.evaluate(item))
                if fake.pending:
                    raise SystemExit(f"error: the judge did not ask the model for {item.id}")
    return evaluations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, default=DEVSET)
    parser.add_argument("--answers", type=Path, default=ANSWERS)
    parser.add_argument("--metrics-json", type=Path)
    args = parser.parse_args(argv)
    answers = read_answers(args.answers)
    items, bad = read_items(args.input, None, sys.stderr)
    items = [item for item in items if item.id in answers]
    settings = Settings(_env_file=None)
    evaluations = asyncio.run(replay(settings, items, answers))
    sections = measure(items, [predicted_labels(e) for e in evaluations])
    report_metrics(args, sections, judge=f"llm (recorded answers: {args.answers.name})")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
