"""Profile sequential mid-session trainee turns: where a turn's time goes.

    python -m benchmarks.profile_turn                     # scripted patient + rule judge
    python -m benchmarks.profile_turn --engine llm --turns 200 --html profile.html

Same wiring and fakes as `benchmarks.bench` (real Dispatcher and aiogram client, fake
Bot API and model in another process, model latency 0). Prints the median turn time
without the profiler, then pyinstrument's call tree of a second, profiled pass
(``pip install -e '.[bench]'`` for pyinstrument).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import REPLIES, BotUnderTest, Engine, Judge, Updates, bot_under_test
from benchmarks.servers import FakeServers

WARMUP = 20


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_turn", description=__doc__)
    parser.add_argument("--engine", choices=("scripted", "llm"), default="scripted")
    parser.add_argument("--turns", type=int, default=150, metavar="N")
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML view here")
    return parser.parse_args(argv)


async def _turns(bot: BotUnderTest, ids: list[int], updates: Updates, first: int) -> list[Any]:
    """Each trainee's next replies, trainee after trainee (sessions stay mid-way)."""
    return [updates.text(tid, REPLIES[(first + n) % len(REPLIES)]) for n in range(3) for tid in ids]


async def _timed(bot: BotUnderTest, batch: list[Any]) -> list[float]:
    times = []
    for update in batch:
        started = time.perf_counter()
        await bot.feed(update)
        times.append(time.perf_counter() - started)
    return times


async def _run(args: argparse.Namespace) -> None:
    engine: Engine = args.engine
    judge: Judge = "llm" if engine == "llm" else "rules"
    async with FakeServers() as servers:
        await servers.set_latency(0.0)
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/profile.db"
            async with bot_under_test(servers, url, engine, judge) as bot:
                personas = bot.personas()
                per_pass = args.turns + WARMUP
                ids = [10_000 + n for n in range(2 * (per_pass // 3 + 1))]
                for number, tid in enumerate(ids):
                    await bot.enrol(tid, personas[number % len(personas)])
                updates = Updates()
                half = len(ids) // 2
                plain = (await _turns(bot, ids[:half], updates, 0))[:per_pass]
                profiled = (await _turns(bot, ids[half:], updates, 0))[:per_pass]
                times = (await _timed(bot, plain))[WARMUP:]
                print(
                    f"{bot.label}: {len(times)} turns, median {statistics.median(times) * 1e3:.2f}"
                    f" ms, mean {statistics.fmean(times) * 1e3:.2f} ms (no profiler)"
                )
                from pyinstrument import Profiler

                await _timed(bot, profiled[:WARMUP])
                profiler = Profiler(interval=0.0005, async_mode="disabled")
                profiler.start()
                await _timed(bot, profiled[WARMUP:])
                profiler.stop()
                print(profiler.output_text(unicode=True, color=False))
                if args.html:
                    args.html.write_text(profiler.output_html(), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    asyncio.run(_run(_parse(argv)))


if __name__ == "__main__":
    main()
