"""Agreement between an evaluator and gold labels: per-id P/R/F1, macro-F1, κ.

Pure functions over plain data, so the same figures come out of the CLI, the
tests and the README.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from bot.domain.ids import Pitfall, RepairStrategy


class Labels(BaseModel):
    model_config = ConfigDict(frozen=True)

    moves: frozenset[str] = frozenset()
    pitfalls: frozenset[str] = frozenset()
    rating: int


class IdScore(BaseModel):
    id: str
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int


class Report(BaseModel):
    items: int
    per_id: list[IdScore]
    macro_f1_moves: float
    pitfall_recall: float
    rating_kappa: float
    rating_exact: float
    rating_within_one: float
    rating_confusion: list[list[int]]
    missed: dict[str, int]
    false_alarms: dict[str, int]
    confused_with: dict[str, dict[str, int]]


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def score_id(item: str, gold: Sequence[frozenset[str]], pred: Sequence[frozenset[str]]) -> IdScore:
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if item in g and item in p)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if item not in g and item in p)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if item in g and item not in p)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    return IdScore(
        id=item, precision=precision, recall=recall, f1=f1, support=tp + fn, predicted=tp + fp
    )


def quadratic_weighted_kappa(gold: Sequence[int], pred: Sequence[int], k: int = 5) -> float:
    """Cohen's κ with quadratic weights on a 1..k scale."""
    n = len(gold)
    if n == 0:
        return 0.0
    observed = [[0.0] * k for _ in range(k)]
    for g, p in zip(gold, pred, strict=True):
        observed[g - 1][p - 1] += 1
    gold_hist = Counter(gold)
    pred_hist = Counter(pred)
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            weight = (i - j) ** 2 / (k - 1) ** 2
            expected = gold_hist[i + 1] * pred_hist[j + 1] / n
            num += weight * observed[i][j]
            den += weight * expected
    return 1.0 - num / den if den else 1.0


def compare(gold: Sequence[Labels], pred: Sequence[Labels]) -> Report:
    move_ids = [m.value for m in RepairStrategy]
    pitfall_ids = [p.value for p in Pitfall]
    gold_sets = [g.moves | g.pitfalls for g in gold]
    pred_sets = [p.moves | p.pitfalls for p in pred]
    per_id = [score_id(i, gold_sets, pred_sets) for i in (*move_ids, *pitfall_ids)]
    moves = [s for s in per_id if s.id in move_ids and s.support]
    pitfall_scores = [s for s in per_id if s.id in pitfall_ids]
    pitfall_tp = sum(round(s.recall * s.support) for s in pitfall_scores)
    pitfall_support = sum(s.support for s in pitfall_scores)
    confusion = [[0] * 5 for _ in range(5)]
    for g, p in zip(gold, pred, strict=True):
        confusion[g.rating - 1][p.rating - 1] += 1
    missed: Counter[str] = Counter()
    alarms: Counter[str] = Counter()
    confused: dict[str, Counter[str]] = {}
    for g_set, p_set in zip(gold_sets, pred_sets, strict=True):
        lost, extra = g_set - p_set, p_set - g_set
        missed.update(lost)
        alarms.update(extra)
        for item in lost:
            confused.setdefault(item, Counter()).update(extra)
    ratings_g = [g.rating for g in gold]
    ratings_p = [p.rating for p in pred]
    return Report(
        items=len(gold),
        per_id=per_id,
        macro_f1_moves=sum(s.f1 for s in moves) / len(moves) if moves else 0.0,
        pitfall_recall=_ratio(pitfall_tp, pitfall_support),
        rating_kappa=quadratic_weighted_kappa(ratings_g, ratings_p),
        rating_exact=_ratio(
            sum(g == p for g, p in zip(ratings_g, ratings_p, strict=True)), len(gold)
        ),
        rating_within_one=_ratio(
            sum(abs(g - p) <= 1 for g, p in zip(ratings_g, ratings_p, strict=True)), len(gold)
        ),
        rating_confusion=confusion,
        missed=dict(missed.most_common()),
        false_alarms=dict(alarms.most_common()),
        confused_with={k: dict(v.most_common(3)) for k, v in confused.items() if v},
    )
