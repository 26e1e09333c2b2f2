"""How long the offline rule judge takes per reply, over the devset replies.

`python -m benchmarks.judge_speed [--input FILE.jsonl] [--rounds N]` prints the median,
mean and p99 microseconds of one `RuleJudge.assess` (the synchronous core of
`evaluate`) and how long building a judge takes. Each reply is judged `--rounds` times
and its fastest time is kept, as `timeit` does, so other processes on a shared machine
blur the figures less. Only the replies and their context are read; the gold labels
are not looked at.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from bot.cli.evaluate import read_items
from bot.config import PROJECT_ROOT
from bot.domain.content import load_model
from bot.domain.rubric import Rubric
from bot.judges.rules import RuleJudge

DEVSET = PROJECT_ROOT / "evaluation" / "devset.jsonl"


def load_rubrics(directory: Path) -> dict[str, Rubric]:
    rubrics = (load_model(path, Rubric) for path in sorted(directory.glob("*.yaml")))
    return {rubric.language: rubric for rubric in rubrics}


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.judge_speed")
    parser.add_argument("--input", type=Path, default=DEVSET, help="JSONL of rupture moments")
    parser.add_argument("--rounds", type=int, default=5, help="times each reply is judged")
    args = parser.parse_args(argv)

    items, bad = read_items(args.input, None, sys.stderr)
    if not items:
        print(f"error: no readable lines in {args.input}", file=sys.stderr)
        return 1
    rubrics = load_rubrics(PROJECT_ROOT / "rubrics")

    builds: list[float] = []
    for _ in range(20):
        start = time.perf_counter()
        judge = RuleJudge(rubrics)
        builds.append(time.perf_counter() - start)
    for item in items:  # warm up
        judge.assess(item)

    fastest = [float("inf")] * len(items)
    for _ in range(args.rounds):
        for i, item in enumerate(items):
            start = time.perf_counter()
            judge.assess(item)
            fastest[i] = min(fastest[i], time.perf_counter() - start)
    us = sorted(t * 1e6 for t in fastest)
    print(f"rule judge: {len(items)} replies, fastest of {args.rounds} rounds ({args.input.name})")
    print(
        f"  assess   median {statistics.median(us):8.1f} us   mean {statistics.fmean(us):8.1f} us"
        f"   p99 {percentile(us, 0.99):8.1f} us"
    )
    print(
        f"  RuleJudge(rubrics)   first {builds[0] * 1e3:.2f} ms"
        f"   median {statistics.median(builds) * 1e3:.3f} ms"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
