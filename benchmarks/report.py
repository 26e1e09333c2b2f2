"""Goals (each a ratio against the echo floor of the same run) and the printed table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

#: per-turn overhead may be at most this multiple of the echo floor's
OVERHEAD_RATIO = 1.5
#: with 1,000 trainees and the model at its latency, throughput relative to the floor's
CONCURRENT_THROUGHPUT_RATIO = 0.67
#: p99 may exceed the floor's p99 plus the model time by at most this
CONCURRENT_P99_MARGIN_S = 0.3
#: non-model turns per second on a 2-core machine, harness included (10x Telegram's ~30/s)
NON_MODEL_TURNS_PER_S = 300.0
#: share of the patient prompt that must be a stable, cacheable prefix
CACHEABLE_SHARE = 0.8


@dataclass(frozen=True)
class Goal:
    name: str
    database: str | None
    measured: str
    target: str
    passed: bool


def database_goals(database: str, results: dict[str, Any]) -> list[Goal]:
    goals: list[Goal] = []
    overhead = results["overhead"]
    floor = overhead["echo"]["median_ms"]
    for key in ("scripted", "llm"):
        run = overhead[key]
        goals.append(
            Goal(
                f"per-turn overhead, {run['label']} (median)",
                database,
                f"{run['median_ms']:.2f} ms = {run['ratio_median']:.2f}x echo",
                f"<= {OVERHEAD_RATIO:.2f}x echo ({floor * OVERHEAD_RATIO:.2f} ms)",
                run["ratio_median"] <= OVERHEAD_RATIO and not run["failed_turns"],
            )
        )
    conc = results["concurrency"]
    ours, waited, bare = conc["bot"], conc["echo_with_model_wait"], conc["echo"]
    ratio = ours["turns_per_s"] / waited["turns_per_s"] if waited["turns_per_s"] else 0.0
    goals.append(
        Goal(
            f"{ours['trainees']} trainees at once: throughput",
            database,
            f"{ours['turns_per_s']:.0f} turns/s = {ratio:.2f}x echo+wait",
            f">= {CONCURRENT_THROUGHPUT_RATIO:.2f}x echo+wait "
            f"({waited['turns_per_s'] * CONCURRENT_THROUGHPUT_RATIO:.0f}/s)",
            ratio >= CONCURRENT_THROUGHPUT_RATIO,
        )
    )
    model_s = conc["model_time_per_turn_s"]
    limit_ms = bare["reply_p99_ms"] + 1000 * (model_s + CONCURRENT_P99_MARGIN_S)
    goals.append(
        Goal(
            f"{ours['trainees']} trainees at once: p99 time to the patient's reply",
            database,
            f"{ours['reply_p99_ms'] / 1000:.2f} s",
            f"<= echo p99 + {model_s:.2f} s + {CONCURRENT_P99_MARGIN_S} s "
            f"= {limit_ms / 1000:.2f} s",
            ours["reply_p99_ms"] <= limit_ms and not ours["missing_replies"],
        )
    )
    throughput = results["throughput"]["bot"]
    goals.append(
        Goal(
            "non-model throughput (harness included)",
            database,
            f"{throughput['turns_per_s']:.0f} turns/s",
            f">= {NON_MODEL_TURNS_PER_S:.0f} turns/s",
            throughput["turns_per_s"] >= NON_MODEL_TURNS_PER_S
            and not throughput["missing_replies"],
        )
    )
    llm = overhead["llm"]
    checked = llm["typing_before_model"] + llm["typing_after_model"]
    goals.append(
        Goal(
            '"typing..." sent before any model call',
            database,
            f"{llm['typing_before_model']}/{checked} turns",
            "every turn",
            checked > 0 and llm["typing_after_model"] == 0,
        )
    )
    return goals


def cost_goals(cost: dict[str, Any]) -> list[Goal]:
    patient = cost["patient"]
    share = patient["cacheable_prefix_share"]
    return [
        Goal(
            "patient prompt that is a stable, cacheable prefix",
            None,
            f"{share:.0%} (system prompt alone {patient['system_prompt_share']:.0%})",
            f">= {CACHEABLE_SHARE:.0%}",
            share >= CACHEABLE_SHARE,
        )
    ]


def goals_json(goals: Iterable[Goal]) -> list[dict[str, Any]]:
    return [asdict(goal) for goal in goals]


# --- the table --------------------------------------------------------------------------


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        return "  " + "  ".join(
            [first.ljust(widths[0])] + [c.rjust(w) for c, w in zip(rest, widths[1:], strict=True)]
        )

    return [line(headers), "  " + "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def _ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def overhead_lines(database: str, overhead: dict[str, Any]) -> list[str]:
    echo = overhead["echo"]
    rows = [["aiogram echo handler (floor)", _ms(echo["median_ms"]), _ms(echo["p99_ms"]), "1.00"]]
    for key in ("library_floor", "scripted", "llm"):
        if key not in overhead:
            continue
        run = overhead[key]
        rows.append(
            [
                run["label"],
                _ms(run["median_ms"]),
                _ms(run["p99_ms"]),
                f"{run['ratio_median']:.2f}",
            ]
        )
    end = overhead["session_end"]
    rows.append(
        [
            "ending a session (/end: feedback + chart)",
            _ms(end["median_ms"]),
            _ms(end["p99_ms"]),
            f"{end['ratio_median']:.2f}",
        ]
    )
    turns = overhead["scripted"]["n"]
    llm = overhead["llm"]
    failed = overhead["scripted"]["failed_turns"] + llm["failed_turns"]
    return [
        f"[{database}] per-turn overhead: {turns} sequential mid-session turns each, "
        f"model time excluded (fake model at {llm['model_latency_s']:.3f} s, "
        f"{llm['model_calls_per_turn']:.1f} calls a turn); failed turns {failed}",
        *_table(["subject", "median", "p99", "x echo"], rows),
        *_over_library_floor(overhead),
    ]


def _over_library_floor(section: dict[str, Any]) -> list[str]:
    """The line under a table: the bot's figures as multiples of the library floor's."""
    over = section.get("bot_over_library_floor")
    if over is None:
        return []
    if "median" in over:  # per-turn overhead: times
        figures = f"median {over['median']:.2f}x, p99 {over['p99']:.2f}x"
    else:  # bursts: throughput and reply times
        figures = (
            f"throughput {over['turns_per_s']:.2f}x, reply p50 {over['reply_p50']:.2f}x, "
            f"p99 {over['reply_p99']:.2f}x"
        )
        missing = section["library_floor"].get("missing_replies", 0)
        if missing:
            figures += f" (the library floor missed {missing} replies)"
    return [f"  bot / library floor: {over['label']}: {figures}"]


def _burst_row(name: str, burst: dict[str, Any]) -> list[str]:
    typing = burst.get("typing_p99_ms")
    return [
        name,
        f"{burst['turns_per_s']:.0f}",
        f"{burst['reply_p50_ms'] / 1000:.2f} s",
        f"{burst['reply_p99_ms'] / 1000:.2f} s",
        "-" if typing is None else f"{typing / 1000:.2f} s",
        f"{burst['peak_rss_mb']:.0f} MiB",
    ]


def concurrency_lines(database: str, conc: dict[str, Any]) -> list[str]:
    ours = conc["bot"]
    headers = ["subject", "turns/s", "reply p50", "reply p99", "typing p99", "peak RSS"]
    rows = [
        _burst_row("aiogram echo handler (floor)", conc["echo"]),
        _burst_row(
            f"echo after a {conc['model_latency_s']:.2f} s wait", conc["echo_with_model_wait"]
        ),
        *_library_floor_row(conc),
        _burst_row(conc["label"], ours),
    ]
    return [
        f"[{database}] {ours['trainees']} trainees mid-session send at once, model at "
        f"{conc['model_latency_s']:.2f} s ({ours['model_calls_per_turn']:.1f} calls a turn); "
        f"RSS +{ours['rss_growth_mb']:.0f} MiB, fakes' CPU {ours['fakes_cpu_share']:.0%} "
        f"of one core, failed {ours['failed_turns']}, missing {ours['missing_replies']}",
        *_table(headers, rows),
        *_over_library_floor(conc),
    ]


def _library_floor_row(section: dict[str, Any]) -> list[list[str]]:
    floor = section.get("library_floor")
    return [] if floor is None else [_burst_row(floor["label"], floor)]


def throughput_lines(database: str, throughput: dict[str, Any]) -> list[str]:
    ours = throughput["bot"]
    headers = ["subject", "turns/s", "reply p50", "reply p99", "typing p99", "peak RSS"]
    rows = [
        _burst_row("aiogram echo handler (floor)", throughput["echo"]),
        *_library_floor_row(throughput),
        _burst_row(throughput["label"], ours),
    ]
    return [
        f"[{database}] non-model throughput: {ours['trainees']} trainees at once, "
        f"{throughput['rounds']} rounds; fakes' CPU {ours['fakes_cpu_share']:.0%} of one core, "
        f"failed {ours['failed_turns']}, missing {ours['missing_replies']}",
        *_table(headers, rows),
        *_over_library_floor(throughput),
    ]


def cost_lines(cost: dict[str, Any]) -> list[str]:
    rows = []
    for role in ("patient", "judge"):
        r = cost[role]
        rows.append(
            [
                role,
                f"{r['calls_per_turn']:.2f}",
                f"{r['prompt_tokens_per_turn']:.0f}",
                f"{r['completion_tokens_per_turn']:.0f}",
                f"{r['system_prompt_share']:.0%}",
                f"{r['cacheable_prefix_share']:.0%}",
            ]
        )
    headers = ["model", "calls", "prompt tok", "completion tok", "system prompt", "cacheable"]
    return [
        f"model cost per trainee turn: {cost['turns']} turns in sessions of "
        f"{cost['turns_per_session']}, tokenizer {cost['tokenizer']}",
        *_table(headers, rows),
    ]


def goal_lines(goals: Sequence[Goal]) -> list[str]:
    rows = [
        [
            (f"[{g.database}] " if g.database else "") + g.name,
            g.measured,
            g.target,
            "PASS" if g.passed else "MISS",
        ]
        for g in goals
    ]
    return [
        "goals (ratios against the echo floor measured in this run)",
        *_table(["goal", "measured", "target", "result"], rows),
    ]


def render(report: dict[str, Any], goals: Sequence[Goal]) -> str:
    meta = report["meta"]
    lines = [
        f"Rupture Coach benchmark: {meta['cpus']} cores, Python {meta['python']}, "
        f"fakes in a separate process, {meta['when']}",
        "",
    ]
    for database, results in report["databases"].items():
        lines += [*overhead_lines(database, results["overhead"]), ""]
        lines += [*concurrency_lines(database, results["concurrency"]), ""]
        lines += [*throughput_lines(database, results["throughput"]), ""]
    lines += [*cost_lines(report["model_cost"]), ""]
    lines += goal_lines(goals)
    return "\n".join(lines)
