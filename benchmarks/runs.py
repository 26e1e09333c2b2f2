"""One database's runs (overhead, concurrency, throughput) and the model-cost run."""

from __future__ import annotations

import argparse
import itertools
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

from benchmarks.cost import model_cost
from benchmarks.floors import LibraryFloor, judged_write_floor, model_call_floor
from benchmarks.harness import (
    REPLIES,
    BotUnderTest,
    Floor,
    Updates,
    bot_under_test,
    echo_floor,
)
from benchmarks.scenarios import (
    TURNS_PER_SESSION,
    WARMUP_TURNS,
    Burst,
    SequentialRun,
    burst,
    mean_floor,
    overhead,
    overhead_result,
    prepare_trainees,
    reply_updates,
    summary,
)
from benchmarks.servers import FakeServers, ModelCall
from bot.telegram.identity import CHANNEL

Progress = Callable[[str], None]
#: turns in a realistic session, for the model cost
SESSION_TURNS = 8
#: sessions ended with /end in the overhead run (feedback text and tension chart)
SESSION_ENDS = 10
THROUGHPUT_ROUNDS = 2


async def run_database(
    servers: FakeServers,
    database_url: str,
    args: argparse.Namespace,
    progress: Progress,
    *,
    model_cost: bool = False,
) -> dict[str, Any]:
    """Overhead, concurrency and throughput on one database (and the model cost, if asked)."""
    updates = Updates()
    ids = itertools.count(10_000)
    await servers.set_latency(0)
    async with (
        bot_under_test(servers, database_url, "scripted", "rules") as scripted,
        bot_under_test(servers, database_url, "llm", "llm") as llm,
        bot_under_test(servers, database_url, "llm", "rules") as concurrent,
        echo_floor(servers) as echo,
        echo_floor(servers, args.model_latency) as echo_wait,
        judged_write_floor(servers, database_url) as judged_write,
        model_call_floor(servers, database_url) as model_call,
    ):
        results = {
            "overhead": await _overhead(
                servers, args, progress, updates, ids, echo, judged_write, scripted, llm
            )
        }
        trainees = [next(ids) for _ in range(args.trainees)]
        await servers.set_latency(0)
        await prepare_trainees(concurrent, trainees, 2, progress)
        results["concurrency"] = await _concurrency(
            servers, args, progress, updates, trainees, echo, echo_wait, model_call, concurrent
        )
        results["throughput"] = await _throughput(
            servers, progress, updates, trainees, echo, judged_write, scripted
        )
        if model_cost:
            results["model_cost"] = await _model_cost(servers, args, progress, updates, ids, llm)
    await servers.forget()
    return results


def _echo_updates(updates: Updates) -> Iterator[dict[str, Any]]:
    for number in itertools.count():
        yield updates.text(1 + number % 1000, REPLIES[number % len(REPLIES)])


async def _overhead(
    servers: FakeServers,
    args: argparse.Namespace,
    progress: Progress,
    updates: Updates,
    ids: Iterator[int],
    echo: Floor,
    library: LibraryFloor,
    scripted: BotUnderTest,
    llm: BotUnderTest,
) -> dict[str, Any]:
    progress("  per-turn overhead (sequential, interleaved with the echo floor)")
    warmup = min(WARMUP_TURNS, args.turns)
    per_subject = math.ceil((args.turns + warmup) / TURNS_PER_SESSION)
    scripted_ids = [next(ids) for _ in range(per_subject)]
    llm_ids = [next(ids) for _ in range(per_subject)]
    await prepare_trainees(scripted, scripted_ids, 0, progress)
    await prepare_trainees(llm, llm_ids, 0, progress)
    echo_stream = _echo_updates(updates)
    library_stream = _echo_updates(updates)
    scripted_stream = reply_updates(updates, scripted_ids)
    llm_stream = reply_updates(updates, llm_ids)
    runs = [
        SequentialRun("echo", echo, lambda: next(echo_stream)),
        SequentialRun("library_floor", library, lambda: next(library_stream)),
        SequentialRun("scripted", scripted, lambda: next(scripted_stream), bot=scripted),
        SequentialRun(
            "llm",
            llm,
            lambda: next(llm_stream),
            model_latency_s=args.overhead_model_latency,
            bot=llm,
        ),
    ]
    await servers.set_latency(args.overhead_model_latency)
    await overhead(servers, runs, args.turns, warmup, progress)
    floor = summary(runs[0].times)
    result: dict[str, Any] = {"echo": floor}
    result["library_floor"] = {"label": library.label, **overhead_result(runs[1], floor)}
    for run, bot in ((runs[2], scripted), (runs[3], llm)):
        result[run.name] = {"label": bot.label, **overhead_result(run, floor)}
    library_floor = result["library_floor"]
    result["bot_over_library_floor"] = {
        "label": scripted.label,
        "median": _ratio(result["scripted"]["median_ms"], library_floor["median_ms"]),
        "p99": _ratio(result["scripted"]["p99_ms"], library_floor["p99_ms"]),
    }
    result["session_end"] = await _session_ends(scripted, updates, scripted_ids, floor)
    return result


async def _session_ends(
    bot: BotUnderTest, updates: Updates, ids: list[int], floor: dict[str, float]
) -> dict[str, Any]:
    """/end for trainees mid-session: feedback text and tension chart (after one warm-up)."""
    *measured, warmup = ids[: min(SESSION_ENDS + 1, len(ids))]
    await bot.feed(updates.text(warmup, "/end"))  # the first chart loads matplotlib's fonts
    times = []
    for tid in measured:
        update = updates.text(tid, "/end")
        started = time.perf_counter()
        await bot.feed(update)
        times.append(time.perf_counter() - started)
    stats = summary(times)
    return {
        **stats,
        "ratio_median": stats["median_ms"] / floor["median_ms"] if floor["median_ms"] else 0.0,
    }


async def _concurrency(
    servers: FakeServers,
    args: argparse.Namespace,
    progress: Progress,
    updates: Updates,
    trainees: list[int],
    echo: Floor,
    echo_wait: Floor,
    library: LibraryFloor,
    bot: BotUnderTest,
) -> dict[str, Any]:
    n = len(trainees)
    progress(f"  {n} trainees at once, model at {args.model_latency} s")
    await servers.set_latency(args.model_latency)

    def messages() -> list[dict[str, Any]]:
        return [updates.text(tid, REPLIES[2]) for tid in trainees]

    echo_before = await burst(servers, echo, messages())
    wait_before = await burst(servers, echo_wait, messages())
    library_before = await burst(servers, library, messages())
    ours = await burst(servers, bot, messages(), bot=bot)
    library_after = await burst(servers, library, messages())
    wait_after = await burst(servers, echo_wait, messages())
    echo_after = await burst(servers, echo, messages())
    result = ours.result()
    library_floor = {
        "label": library.label,
        **mean_floor([library_before, library_after], model=True),
    }
    return {
        "label": bot.label,
        "model_latency_s": args.model_latency,
        "model_time_per_turn_s": result["model_calls_per_turn"] * args.model_latency,
        "echo": mean_floor([echo_before, echo_after]),
        "echo_with_model_wait": mean_floor([wait_before, wait_after]),
        "library_floor": library_floor,
        "bot": result,
        "bot_over_library_floor": _bot_over(bot.label, result, library_floor),
    }


def _ratio(ours: float, floor: float) -> float:
    return ours / floor if floor else 0.0


def _bot_over(label: str, ours: dict[str, Any], floor: dict[str, Any]) -> dict[str, Any]:
    """The bot's figures as multiples of a library floor's (throughput: < 1 is slower)."""
    return {
        "label": label,
        "turns_per_s": _ratio(ours["turns_per_s"], floor["turns_per_s"]),
        "reply_p50": _ratio(ours["reply_p50_ms"], floor["reply_p50_ms"]),
        "reply_p99": _ratio(ours["reply_p99_ms"], floor["reply_p99_ms"]),
    }


def _merge(bursts: list[Burst]) -> dict[str, Any]:
    merged = Burst(
        n=sum(b.n for b in bursts),
        wall_s=sum(b.wall_s for b in bursts),
        reply_s=[s for b in bursts for s in b.reply_s],
        typing_s=[s for b in bursts for s in b.typing_s],
        missing=sum(b.missing for b in bursts),
        failed=sum(b.failed for b in bursts),
        peak_rss_mb=max(b.peak_rss_mb for b in bursts),
        rss_growth_mb=max(b.rss_growth_mb for b in bursts),
        fakes_cpu_share=sum(b.fakes_cpu_share * b.wall_s for b in bursts)
        / max(1e-9, sum(b.wall_s for b in bursts)),
        model_calls=sum(b.model_calls for b in bursts),
    )
    result = merged.result()
    result["trainees"] = bursts[0].n
    return result


async def _throughput(
    servers: FakeServers,
    progress: Progress,
    updates: Updates,
    trainees: list[int],
    echo: Floor,
    library: LibraryFloor,
    bot: BotUnderTest,
) -> dict[str, Any]:
    progress(f"  non-model throughput: {len(trainees)} trainees at once, {bot.label}")
    await servers.set_latency(0)
    floors: list[Burst] = []
    libraries: list[Burst] = []
    ours: list[Burst] = []
    for number in range(THROUGHPUT_ROUNDS):
        reply = REPLIES[(3 + number) % len(REPLIES)]
        floors.append(await burst(servers, echo, [updates.text(t, reply) for t in trainees]))
        libraries.append(await burst(servers, library, [updates.text(t, reply) for t in trainees]))
        ours.append(await burst(servers, bot, [updates.text(t, reply) for t in trainees], bot))
    result = _merge(ours)
    library_floor = {"label": library.label, **_merge(libraries)}
    return {
        "label": bot.label,
        "rounds": THROUGHPUT_ROUNDS,
        "echo": _merge(floors),
        "library_floor": library_floor,
        "bot": result,
        "bot_over_library_floor": _bot_over(bot.label, result, library_floor),
    }


async def _model_cost(
    servers: FakeServers,
    args: argparse.Namespace,
    progress: Progress,
    updates: Updates,
    ids: Iterator[int],
    bot: BotUnderTest,
) -> dict[str, Any]:
    """Realistic sessions with the LLM patient and judge; every model call is kept."""
    progress(f"  model cost: {args.sessions} sessions of {SESSION_TURNS} turns")
    await servers.set_latency(0)
    calls: list[list[ModelCall]] = []
    personas = bot.personas()
    for number in range(args.sessions):
        tid = next(ids)
        persona = personas[number % len(personas)]
        await bot.enrol(tid, persona)
        for turn in range(SESSION_TURNS):
            user = await bot.app.store.find_user(CHANNEL, str(tid))
            if user is None or await bot.app.practice.active(user.id) is None:
                await bot.enrol(tid, persona)  # resolved early: a new session goes on
            _, model_mark = await servers.mark()
            await bot.feed(updates.text(tid, REPLIES[turn % len(REPLIES)]))
            calls.append(await servers.model_calls(model_mark, bodies=True))
    return model_cost(calls, SESSION_TURNS)
