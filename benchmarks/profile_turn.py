"""Profile sequential mid-session trainee turns: where a turn's time goes.

    python -m benchmarks.profile_turn                     # scripted patient + rule judge
    python -m benchmarks.profile_turn --engine llm --turns 200 --html profile.html
    python -m benchmarks.profile_turn --engine llm --burst 300 --model-latency 1

Same wiring and fakes as `benchmarks.bench` (real Dispatcher and aiogram client, fake
Bot API and model in another process, model latency 0). Prints the median turn time
without the profiler, then pyinstrument's call tree of a second, profiled pass
(``pip install -e '.[bench]'`` for pyinstrument). With ``--burst N``, N trainees send
at once instead (as in the concurrency run) and the whole burst is profiled.
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
    parser.add_argument("--burst", type=int, default=0, metavar="N", help="N trainees at once")
    parser.add_argument("--model-latency", type=float, default=0.0, metavar="S")
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


def _report(profiler: Any, html: Path | None) -> None:
    print(profiler.output_text(unicode=True, color=False))
    if html:
        html.write_text(profiler.output_html(), encoding="utf-8")


async def _burst(bot: BotUnderTest, size: int, html: Path | None) -> None:
    from pyinstrument import Profiler

    personas = bot.personas()
    ids = [20_000 + n for n in range(size)]
    for number, tid in enumerate(ids):
        await bot.enrol(tid, personas[number % len(personas)])
    batch = await _turns(bot, ids, Updates(), 0)
    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()
    started = time.perf_counter()
    await asyncio.gather(*(bot.feed(update) for update in batch[:size]))
    elapsed = time.perf_counter() - started
    profiler.stop()
    print(f"{bot.label}: {size} trainees at once, {size / elapsed:.0f} turns/s (profiled)")
    _report(profiler, html)


async def _run(args: argparse.Namespace) -> None:
    engine: Engine = args.engine
    judge: Judge = "llm" if engine == "llm" and not args.burst else "rules"
    async with FakeServers() as servers:
        await servers.set_latency(args.model_latency)
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/profile.db"
            async with bot_under_test(servers, url, engine, judge) as bot:
                if args.burst:
                    await _burst(bot, args.burst, args.html)
                    return
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
                _report(profiler, args.html)


def main(argv: list[str] | None = None) -> None:
    asyncio.run(_run(_parse(argv)))


if __name__ == "__main__":
    main()
