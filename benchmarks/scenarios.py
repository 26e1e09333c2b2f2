"""The timed scenarios: per-turn overhead, 1,000 trainees at once, non-model throughput.

Every scenario measures aiogram's bare echo handler against the same fake in the
same run (the floor), because absolute times on a shared 2-core machine drift.
Sequential runs interleave the floor and the bot in short blocks so that drift
hits both alike.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from benchmarks.harness import (
    REPLIES,
    BotUnderTest,
    Updates,
    first_calls,
    in_batches,
    memory_peak,
    now,
    percentile,
)
from benchmarks.servers import FakeServers, TelegramCall

#: measured replies per practice session in the sequential runs (mid-session turns only)
TURNS_PER_SESSION = 4
WARMUP_TURNS = 8
BLOCK = 10

Progress = Callable[[str], None]


class Subject(Protocol):
    async def feed(self, update: dict[str, Any]) -> None: ...


def summary(seconds: Sequence[float]) -> dict[str, float]:
    """Median, p99 and mean in milliseconds."""
    if not seconds:
        return {"n": 0, "median_ms": 0.0, "p99_ms": 0.0, "mean_ms": 0.0}
    return {
        "n": len(seconds),
        "median_ms": percentile(seconds, 0.5) * 1000,
        "p99_ms": percentile(seconds, 0.99) * 1000,
        "mean_ms": sum(seconds) / len(seconds) * 1000,
    }


def is_patient_line(call: TelegramCall, bot: BotUnderTest) -> bool:
    """The patient's line looks like "<b>Name:</b> …"; errors and notices don't."""
    prefix = bot.texts.patient_line.split("{", 1)[0]
    return call.text.startswith(prefix) and ":</b> " in call.text[:80]


# --- per-turn overhead --------------------------------------------------------------


@dataclass
class SequentialRun:
    """One subject's sequential turns; `next_update` hands out the next trainee's reply."""

    name: str
    subject: Subject
    next_update: Callable[[], dict[str, Any]]
    model_latency_s: float = 0.0
    times: list[float] = field(default_factory=list)
    model_calls: int = 0
    typing_first: int = 0
    typing_late: int = 0
    failed: int = 0
    bot: BotUnderTest | None = None


async def prepare_trainees(
    bot: BotUnderTest, ids: Sequence[int], replies: int, progress: Progress
) -> None:
    personas = bot.personas()
    jobs = [
        (lambda tid=tid, n=n: bot.enrol(tid, personas[n % len(personas)], replies))
        for n, tid in enumerate(ids)
    ]
    started = time.perf_counter()
    await in_batches(jobs)
    progress(f"  {len(ids)} trainees enrolled in {time.perf_counter() - started:.1f} s")


def reply_updates(
    updates: Updates, ids: Sequence[int], first_reply: int = 0
) -> Iterator[dict[str, Any]]:
    """Each trainee in turn sends their next reply, `TURNS_PER_SESSION` replies each."""
    for number in range(TURNS_PER_SESSION):
        for tid in ids:
            yield updates.text(tid, REPLIES[(first_reply + number) % len(REPLIES)])


async def _timed_turn(run: SequentialRun, servers: FakeServers, checked: bool) -> None:
    update = run.next_update()
    chat = int(update["message"]["chat"]["id"])
    if checked:
        telegram_mark, model_mark = await servers.mark()
    started = time.perf_counter()
    await run.subject.feed(update)
    elapsed = time.perf_counter() - started
    if not checked:
        run.times.append(elapsed)
        return
    model = await servers.model_calls(model_mark)
    calls = await servers.telegram_calls(telegram_mark)
    run.model_calls += len(model)
    run.times.append(max(0.0, elapsed - len(model) * run.model_latency_s))
    typing = first_calls(calls, "sendChatAction", {chat}).get(chat)
    if model:
        if typing is not None and typing.at <= min(m.at for m in model):
            run.typing_first += 1
        else:
            run.typing_late += 1
    reply = first_calls(calls, "sendMessage", {chat}).get(chat)
    if run.bot is not None and (reply is None or not is_patient_line(reply, run.bot)):
        run.failed += 1


async def overhead(
    servers: FakeServers,
    runs: Sequence[SequentialRun],
    turns: int,
    warmup: int,
    progress: Progress,
) -> None:
    """After `warmup` turns each, interleave the subjects in blocks of `BLOCK` turns."""
    for run in runs:
        for _ in range(warmup):
            await _timed_turn(run, servers, checked=run.bot is not None)
        run.times.clear()
        run.model_calls = run.typing_first = run.typing_late = run.failed = 0
    done = 0
    while done < turns:
        size = min(BLOCK, turns - done)
        for run in runs:
            for _ in range(size):
                await _timed_turn(run, servers, checked=run.bot is not None)
        done += size
        if done % (BLOCK * 10) == 0 or done == turns:
            progress(f"  {done}/{turns} sequential turns per subject")


def overhead_result(run: SequentialRun, floor: dict[str, float]) -> dict[str, Any]:
    stats = summary(run.times)
    result: dict[str, Any] = {
        **stats,
        "ratio_median": stats["median_ms"] / floor["median_ms"] if floor["median_ms"] else 0.0,
        "ratio_p99": stats["p99_ms"] / floor["p99_ms"] if floor["p99_ms"] else 0.0,
    }
    if run.bot is not None:
        result.update(
            model_calls_per_turn=run.model_calls / max(1, len(run.times)),
            model_latency_s=run.model_latency_s,
            typing_before_model=run.typing_first,
            typing_after_model=run.typing_late,
            failed_turns=run.failed,
        )
    return result


# --- many trainees at once ------------------------------------------------------------


@dataclass
class Burst:
    """One message from each of `n` trainees, fed to the dispatcher at the same moment."""

    n: int
    wall_s: float
    reply_s: list[float]
    typing_s: list[float]
    missing: int
    failed: int
    peak_rss_mb: float
    rss_growth_mb: float
    fakes_cpu_share: float
    model_calls: int

    def result(self) -> dict[str, Any]:
        replies = summary(self.reply_s)
        typing = summary(self.typing_s)
        return {
            "trainees": self.n,
            "wall_s": self.wall_s,
            "turns_per_s": self.n / self.wall_s if self.wall_s else 0.0,
            "reply_p50_ms": replies["median_ms"],
            "reply_p99_ms": replies["p99_ms"],
            "typing_p50_ms": typing["median_ms"],
            "typing_p99_ms": typing["p99_ms"],
            "missing_replies": self.missing,
            "failed_turns": self.failed,
            "peak_rss_mb": self.peak_rss_mb,
            "rss_growth_mb": self.rss_growth_mb,
            "fakes_cpu_share": self.fakes_cpu_share,
            "model_calls_per_turn": self.model_calls / self.n if self.n else 0.0,
        }


async def burst(
    servers: FakeServers,
    subject: Subject,
    updates: Sequence[dict[str, Any]],
    bot: BotUnderTest | None = None,
) -> Burst:
    chats = {int(u["message"]["chat"]["id"]) for u in updates}
    gc.collect()
    telegram_mark, model_mark = await servers.mark()
    cpu_before = await servers.cpu_seconds()
    async with memory_peak() as memory:
        started = now()
        await asyncio.gather(*(subject.feed(update) for update in updates))
        wall = now() - started
    fakes_cpu = await servers.cpu_seconds() - cpu_before
    calls = await servers.telegram_calls(telegram_mark)
    model = await servers.model_calls(model_mark)
    replies = first_calls(calls, "sendMessage", chats)
    typing = first_calls(calls, "sendChatAction", chats)
    failed = 0
    if bot is not None:
        failed = sum(1 for call in replies.values() if not is_patient_line(call, bot))
    return Burst(
        n=len(updates),
        wall_s=wall,
        reply_s=[call.at - started for call in replies.values()],
        typing_s=[call.at - started for call in typing.values()],
        missing=len(chats) - len(replies),
        failed=failed,
        peak_rss_mb=memory[1],
        rss_growth_mb=memory[1] - memory[0],
        fakes_cpu_share=fakes_cpu / wall if wall else 0.0,
        model_calls=len(model),
    )


def mean_floor(bursts: Sequence[Burst], *, model: bool = False) -> dict[str, Any]:
    """The mean of a floor's runs; with `model`, also its "typing…" and model calls."""
    results = [b.result() for b in bursts]
    keys: tuple[str, ...] = ("wall_s", "turns_per_s", "reply_p50_ms", "reply_p99_ms", "peak_rss_mb")
    if model:
        keys += ("typing_p50_ms", "typing_p99_ms", "model_calls_per_turn")
    merged: dict[str, Any] = {key: sum(r[key] for r in results) / len(results) for key in keys}
    merged["trainees"] = results[0]["trainees"]
    merged["missing_replies"] = sum(r["missing_replies"] for r in results)
    merged["runs"] = [{key: r[key] for key in keys} for r in results]
    return merged
