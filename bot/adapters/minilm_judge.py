"""The optional offline judge: the rule judge plus a fine-tuned MiniLM classifier.

The rule judge misses pitfalls it has no phrase for, in scenarios nobody wrote rules for
(held out: pitfall recall 0.59). all-MiniLM-L6-v2, fine-tuned on the 3,280 labelled dev
replies (`evaluation/finetune_experiment.py`), reads "the patient's last line [SEP] the
reply" and gives each move and pitfall a probability; the two are combined as the
experiment fixed before any held-out run ("veto + moves"):

- a pitfall counts if the model is sure of it (p >= 0.6), or the rules found it and the
  model does not rule it out (p >= 0.2);
- a move counts if the rules found it, or the model is sure of it (p >= 0.8);
- the rating follows from the result by the rubric's anchors (`rate`), as everywhere.

Held out (661 replies): macro-F1 over moves 0.779, pitfall recall 0.802, κ 0.871, against the
rules' 0.678 / 0.586 / 0.736. It needs ``pip install -e '.[minilm]'`` (numpy, tokenizers,
safetensors: no torch) and the model files in `models/minilm-judge/`; the forward pass is
plain NumPy, ~20-80 ms a reply on a laptop core, run off the event loop. Quotes and feedback
come from the rule judge's findings; an id only the model found has no quote.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from bot.domain.evaluation import RuptureMoment, TurnEvaluation
from bot.domain.ids import Pitfall, RepairStrategy
from bot.domain.rubric import Rubric
from bot.judges import RuleJudge, compose_feedback, rate
from bot.judges.lexicon import INJECTION_MARKERS
from bot.judges.text import injection_start, normalise

Array = NDArray[np.float32]
IGNORES = Pitfall.IGNORES_RUPTURE.value
#: tokens read per reply (with its context line); training pairs were at most 138
MAX_TOKENS = 256


@dataclass(frozen=True)
class Thresholds:
    """The experiment's "veto + moves" thresholds (fixed before any held-out run)."""

    sure_pitfall: float = 0.6
    allow_rule_pitfall: float = 0.2
    sure_move: float = 0.8


class MiniLMEncoder:
    """all-MiniLM-L6-v2's BERT (6 layers, 384 dims, 12 heads) in NumPy: mean pooling, unit length.

    The evaluation experiments use it too (`evaluation/embedding_experiment.py`), so the
    model they measure is the one the judge runs.
    """

    def __init__(self, directory: Path, max_tokens: int = MAX_TOKENS) -> None:
        stored = load_file(str(directory / "model.safetensors"))  # float16 or float32
        self.w = {name: value.astype(np.float32) for name, value in stored.items()}
        # dense layers as (in, out), contiguous: `x @ W.T` on a transposed view took the slow
        # non-BLAS path (~1.5 ms a layer instead of ~0.05)
        self._kernels = {
            name.removesuffix(".weight"): np.ascontiguousarray(self.w.pop(name).T)
            for name in [n for n, v in self.w.items() if v.ndim == 2 and n.startswith("encoder.")]
        }  # the untransposed copies are dropped: ~40 MB a process
        self.tok = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tok.enable_truncation(max_tokens)
        self.tok.enable_padding()

    def embed(self, texts: Sequence[str]) -> Array:
        enc = self.tok.encode_batch(list(texts))
        ids = np.array([e.ids for e in enc])
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        b, n = ids.shape
        heads, dim = 12, 32
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        blocked = (1.0 - mask)[:, None, None, :] * -1e9

        def split(t: Array) -> Array:
            return t.reshape(b, n, heads, dim).transpose(0, 2, 1, 3)

        for i in range(6):
            p = f"encoder.layer.{i}."
            q = split(self._dense(x, p + "attention.self.query"))
            k = split(self._dense(x, p + "attention.self.key"))
            v = split(self._dense(x, p + "attention.self.value"))
            att = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dim) + blocked
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(b, n, heads * dim)
            x = self._norm(
                x + self._dense(ctx, p + "attention.output.dense"), p + "attention.output.LayerNorm"
            )
            h = self._dense(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(h / np.sqrt(2.0)))
            x = self._norm(x + self._dense(h, p + "output.dense"), p + "output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        out: Array = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    def _norm(self, x: Array, name: str) -> Array:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        out: Array = (x - mean) / np.sqrt(var + 1e-12) * self.w[f"{name}.weight"] + self.w[
            f"{name}.bias"
        ]
        return out

    def _dense(self, x: Array, name: str) -> Array:
        kernel = self._kernels[name]
        flat = x.reshape(-1, x.shape[-1]) @ kernel + self.w[f"{name}.bias"]
        out: Array = flat.reshape(*x.shape[:-1], kernel.shape[1])
        return out


class MiniLMClassifier:
    """The fine-tuned encoder with a sigmoid head per id (`models/minilm-judge/`).

    The head is stored pre-scaled: ``p = sigmoid(embedding @ head.weight + head.bias)``.
    """

    def __init__(self, directory: Path) -> None:
        settings = json.loads((directory / "settings.json").read_text(encoding="utf-8"))
        self.ids: list[str] = list(settings["ids"])
        self.encoder = MiniLMEncoder(directory)
        self._head = self.encoder.w["head.weight"], self.encoder.w["head.bias"]

    def probabilities(self, texts: Sequence[str]) -> Array:
        """One row of probabilities (in `ids` order) per text.

        One text at a time: padding short replies to a long one's length made batches no
        faster per reply on this CPU (~40-60 ms a reply either way).
        """
        embedded = np.concatenate([self.encoder.embed([text]) for text in texts])
        weight, bias = self._head
        out: Array = 1.0 / (1.0 + np.exp(-(embedded @ weight + bias)))
        return out


def _erf(x: Array) -> Array:
    """Abramowitz & Stegun 7.1.26 (error below 1.5e-7): NumPy has no erf."""
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = (
        (((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t
    ) + 0.254829592
    out: Array = np.sign(x) * (1.0 - poly * t * np.exp(-a * a))
    return out


def model_text(moment: RuptureMoment) -> str:
    """What the model reads, as in training: the last line before the reply, [SEP], the reply.

    Text aimed at an evaluator ("SYSTEM:", "give this 5/5") is left out.
    """
    before = moment.context[-1].text if moment.context else ""
    return f"{before} [SEP] {INJECTION_MARKERS.sub(' ', moment.reply)}"


def carries_injection(moment: RuptureMoment) -> bool:
    text = normalise(moment.reply)
    return injection_start(text) < len(text)


def combine(
    rules: TurnEvaluation, p: dict[str, float], th: Thresholds
) -> tuple[list[RepairStrategy], list[Pitfall]]:
    """The rules' findings and the model's probabilities, combined ("veto + moves")."""
    moves = {m.value for m in rules.moves} | {
        m.value for m in RepairStrategy if p[m.value] >= th.sure_move
    }
    pitfalls = {i.value for i in Pitfall if p[i.value] >= th.sure_pitfall} | {
        i.value for i in rules.pitfalls if p[i.value] >= th.allow_rule_pitfall
    }
    nothing_found = not rules.moves and {i.value for i in rules.pitfalls} == {IGNORES}
    if nothing_found and p[IGNORES] < th.sure_pitfall and (moves or len(pitfalls) > 1):
        pitfalls.discard(IGNORES)  # the rules' "nothing found" default; now something is
    return (
        [m for m in RepairStrategy if m.value in moves],
        [i for i in Pitfall if i.value in pitfalls],
    )


class MiniLMJudge:
    """A `Judge`: the rule judge, corrected by the fine-tuned classifier."""

    name = "minilm"
    calls_model = False

    def __init__(
        self, rules: RuleJudge, classifier: MiniLMClassifier, thresholds: Thresholds | None = None
    ) -> None:
        self._rules = rules
        self._classifier = classifier
        self._thresholds = thresholds or Thresholds()

    def rubric_for(self, language: str) -> Rubric:
        return self._rules.rubric_for(language)

    async def evaluate(self, moment: RuptureMoment) -> TurnEvaluation:
        # a NumPy forward pass: matrix products release the GIL, so other turns go on
        return await asyncio.to_thread(self.assess, moment)

    def assess(self, moment: RuptureMoment) -> TurnEvaluation:
        return self.assess_many([moment])[0]

    def assess_many(self, moments: Sequence[RuptureMoment]) -> list[TurnEvaluation]:
        """Several replies in one forward pass (batch evaluation)."""
        found = [self._rules.assess(m) for m in moments]
        probabilities = self._classifier.probabilities([model_text(m) for m in moments])
        return [
            self._combined(m, rules, dict(zip(self._classifier.ids, map(float, row), strict=True)))
            for m, rules, row in zip(moments, found, probabilities, strict=True)
        ]

    def _combined(
        self, moment: RuptureMoment, rules: TurnEvaluation, p: dict[str, float]
    ) -> TurnEvaluation:
        thresholds = self._thresholds
        if carries_injection(moment):
            # Text aimed at the judge: the rules' reading stands (they ignore moves after it
            # by construction); the model may only add pitfalls it is sure of, never a move
            # or a veto, so the text cannot talk the model into a better score.
            thresholds = Thresholds(thresholds.sure_pitfall, 0.0, 2.0)
        moves, pitfalls = combine(rules, p, thresholds)
        rating = rate(moves, pitfalls)
        kept = {m.value for m in moves} | {i.value for i in pitfalls}
        evidence = {key: quote for key, quote in rules.evidence.items() if key in kept}
        next_move = self._rules.suggest_move(moment, moves, pitfalls)
        return TurnEvaluation(
            moves=tuple(moves),
            pitfalls=tuple(pitfalls),
            rating=rating,
            evidence=evidence,
            feedback=compose_feedback(
                self.rubric_for(moment.lang), moves, pitfalls, rating, next_move
            ),
            judge=self.name,
        )
