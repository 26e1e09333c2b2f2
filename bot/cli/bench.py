"""`bench`: the benchmark in benchmarks/ (it drives the test fakes, so it needs a checkout)."""

from __future__ import annotations

import argparse
import sys

from bot.config import Settings

NOT_A_CHECKOUT = (
    "error: the benchmark lives in benchmarks/ of a source checkout; run it from the "
    "repository root (python -m benchmarks.bench --help)."
)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = sub.add_parser(
        "bench",
        help="measure the bot's own cost against aiogram's echo floor (source checkout)",
        description=(
            "Drive simulated trainees through the real dispatcher and Bot API client against "
            "the loopback fakes; print per-turn overhead, concurrency, throughput and model "
            "cost next to aiogram's bare echo handler, and write them as JSON."
        ),
    )
    try:
        from benchmarks.bench import add_arguments
    except ImportError:
        pass
    else:
        add_arguments(bench)
    bench.set_defaults(handler=run_bench, default_log_level="WARNING")


def run_bench(args: argparse.Namespace, settings: Settings) -> int:
    try:
        from benchmarks.bench import execute
    except ImportError:
        print(NOT_A_CHECKOUT, file=sys.stderr)
        return 2
    return execute(args)
