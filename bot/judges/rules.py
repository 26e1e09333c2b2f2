"""The offline rule judge: rubric indicators read with negation, context and intent in mind.

Deterministic and dependency-free, so practice works without a model server and
tests can pin exact results. The reply is data: text addressed to an evaluator
("SYSTEM: ...", "give this 5/5") ends the part of the reply in which repair moves
are looked for, while pitfalls are looked for everywhere, so such text can only
lower a score.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from bot.domain.evaluation import RuptureMoment, TurnEvaluation
from bot.domain.ids import MoveFamily, Pitfall, RepairStrategy, Speaker
from bot.domain.rubric import CriterionId, Rubric
from bot.judges.hints import suggest_next_move
from bot.judges.lexicon import Lexicon, lexicon_for
from bot.judges.matching import CompiledCriterion, Hit, compile_rubric, find_all
from bot.judges.text import Sentence, injection_start, normalise, sentences

#: Pitfalls that damage the alliance outright (rating 1).
HARMFUL = frozenset({Pitfall.BLAMES_PATIENT, Pitfall.DEFENSIVE})
#: Pitfalls that, after a "but", take back an empathic move earlier in the sentence.
_TAKES_BACK = (Pitfall.DEFENSIVE, Pitfall.BLAMES_PATIENT, Pitfall.IGNORES_RUPTURE)
_OPENING = frozenset({RepairStrategy.EXPLORE_RUPTURE, RepairStrategy.METACOMMUNICATION})
_ATTUNING = frozenset({RepairStrategy.ACKNOWLEDGE_CONTRIBUTION, RepairStrategy.VALIDATE_DEFENSE})
_LINK = RepairStrategy.LINK_TO_PATTERN
_PREMATURE = Pitfall.PREMATURE_INTERPRETATION


def rate(moves: Collection[RepairStrategy], pitfalls: Collection[Pitfall]) -> int:
    """The 1-5 reply rating; monotone, so fewer moves or more pitfalls never raise it."""
    if HARMFUL & set(pitfalls):
        return 1
    if pitfalls:
        return 3 if moves else 2
    if not moves:
        return 2
    if all(m.family is MoveFamily.IMMEDIATE for m in moves):
        return 3
    if _OPENING & set(moves) and _ATTUNING & set(moves):
        return 5
    return 4


@dataclass
class _Findings:
    moves: dict[RepairStrategy, Hit]
    pitfalls: dict[Pitfall, Hit]


class RuleJudge:
    """Judges a reply with the rubric's indicators for the moment's language (falls back to en)."""

    name = "rules"

    def __init__(self, rubrics: Mapping[str, Rubric]) -> None:
        if not rubrics:
            raise ValueError("RuleJudge needs at least one rubric")
        self._rubrics = dict(rubrics)
        self._compiled = {lang: compile_rubric(r) for lang, r in self._rubrics.items()}

    def rubric_for(self, language: str) -> Rubric:
        return self._rubrics[self._language(language)]

    def _language(self, language: str) -> str:
        if language in self._rubrics:
            return language
        return "en" if "en" in self._rubrics else next(iter(self._rubrics))

    async def evaluate(self, moment: RuptureMoment) -> TurnEvaluation:
        return self.assess(moment)

    def assess(self, moment: RuptureMoment) -> TurnEvaluation:
        """The synchronous core of `evaluate`."""
        lang = self._language(moment.lang)
        rubric = self._rubrics[lang]
        findings = self._find(moment, self._compiled[lang], lexicon_for(lang))
        moves = tuple(m for m in RepairStrategy if m in findings.moves)
        pitfalls = tuple(p for p in Pitfall if p in findings.pitfalls)
        rating = rate(moves, pitfalls)
        evidence: dict[str, str] = {}
        for key, hit in (*findings.moves.items(), *findings.pitfalls.items()):
            quote = moment.reply[hit.sentence.start : hit.sentence.end]
            if quote:
                evidence[str(key)] = quote
        next_move = self.suggest_move(moment, moves)
        return TurnEvaluation(
            moves=moves,
            pitfalls=pitfalls,
            rating=rating,
            evidence=evidence,
            feedback=compose_feedback(rubric, moves, pitfalls, rating, next_move),
            judge=self.name,
        )

    def suggest_move(self, moment: RuptureMoment, moves_seen: Iterable[str] = ()) -> RepairStrategy:
        """A good next repair move for a hint, given the rupture and the moves already tried."""
        return suggest_next_move(moment, moves_seen)

    # ------------------------------------------------------------------ finding

    def _find(
        self,
        moment: RuptureMoment,
        compiled: Mapping[CriterionId, CompiledCriterion],
        lexicon: Lexicon,
    ) -> _Findings:
        text = normalise(moment.reply)
        everywhere = sentences(text)
        before_injection = sentences(text, injection_start(text))
        moves: dict[RepairStrategy, Hit] = {}
        for move in RepairStrategy:
            if move is not _LINK and (hits := find_all(compiled[move], before_injection, lexicon)):
                moves[move] = hits[0]
        pitfall_hits: dict[Pitfall, list[Hit]] = {
            p: find_all(compiled[p], everywhere, lexicon) for p in Pitfall
        }
        _take_back(moves, pitfall_hits, lexicon)
        explored = bool(_OPENING & set(moves)) or self._explored_before(moment, compiled, lexicon)
        move_region = {s.start for s in before_injection}
        for hit in find_all(compiled[_LINK], everywhere, lexicon):
            tentative = lexicon.hedges.search(hit.sentence.text) is not None
            if tentative and explored:
                if hit.sentence.start in move_region:
                    moves.setdefault(_LINK, hit)
            else:
                pitfall_hits[_PREMATURE].append(hit)
        pitfall_hits[_PREMATURE] = [
            h
            for h in pitfall_hits[_PREMATURE]
            if not (explored and lexicon.hedges.search(h.sentence.text))
        ]
        interpreting = {h.sentence.start for h in pitfall_hits[_PREMATURE]}
        for move, hit in list(moves.items()):
            if move.family is not MoveFamily.IMMEDIATE and hit.sentence.start in interpreting:
                del moves[move]  # "You're angry at me because..." is interpretation, not inquiry
        pitfalls = {
            p: sorted(hits, key=lambda h: h.start)[0] for p, hits in pitfall_hits.items() if hits
        }
        if not moves and not pitfalls and everywhere:
            pitfalls[Pitfall.IGNORES_RUPTURE] = Hit(
                Pitfall.IGNORES_RUPTURE, everywhere[0], everywhere[0].start, everywhere[0].end
            )
        elif not moves and not pitfalls:
            pitfalls[Pitfall.IGNORES_RUPTURE] = Hit(
                Pitfall.IGNORES_RUPTURE, Sentence(0, 0, ""), 0, 0
            )
        return _Findings(moves, pitfalls)

    def _explored_before(
        self,
        moment: RuptureMoment,
        compiled: Mapping[CriterionId, CompiledCriterion],
        lexicon: Lexicon,
    ) -> bool:
        """Has the trainee already explored the rupture earlier in this conversation?"""
        for utterance in moment.context:
            if utterance.speaker is not Speaker.TRAINEE:
                continue
            said = sentences(normalise(utterance.text))
            if any(find_all(compiled[m], said, lexicon) for m in _OPENING):
                return True
        return False


def _take_back(
    moves: dict[RepairStrategy, Hit], pitfall_hits: Mapping[Pitfall, list[Hit]], lexicon: Lexicon
) -> None:
    """Drop empathic moves that the same sentence takes back.

    "I can see it's frustrating, but you need to commit" is not validation;
    "That sounds hard, so let's get back to the worksheet" pushes the task on;
    and a question that pushes the task on is not exploration.
    """
    for move, hit in list(moves.items()):
        if move.family is MoveFamily.IMMEDIATE:
            continue
        sentence = hit.sentence
        for pitfall in _TAKES_BACK:
            for p in pitfall_hits[pitfall]:
                if p.sentence.start != sentence.start:  # the same sentence, however truncated
                    continue
                pushes_on = pitfall is Pitfall.IGNORES_RUPTURE and (
                    move is RepairStrategy.EXPLORE_RUPTURE or p.start >= hit.end
                )
                between = p.sentence.text[hit.end - sentence.start : p.start - sentence.start]
                yes_but = p.start >= hit.end and lexicon.contrast.search(between) is not None
                if pushes_on or yes_but:
                    moves.pop(move, None)


def compose_feedback(
    rubric: Rubric,
    moves: Collection[RepairStrategy],
    pitfalls: Collection[Pitfall],
    rating: int,
    next_move: RepairStrategy,
) -> str:
    """One to three sentences in the rubric's language: what worked, what to watch, what to try."""
    parts: list[str] = []
    if moves:
        names = ", ".join(rubric.criterion(m).name for m in moves)
        parts.append(rubric.phrase("feedback_worked").replace("{items}", names))
    if pitfalls:
        names = ", ".join(rubric.criterion(p).name for p in pitfalls)
        parts.append(rubric.phrase("feedback_watch").replace("{items}", names))
        worst = max(pitfalls, key=lambda p: rubric.criterion(p).weight)
        parts.append(rubric.phrase("feedback_try").replace("{tip}", rubric.criterion(worst).tip))
    else:
        key = "feedback_next" if rating >= 5 else "feedback_try"
        parts.append(rubric.phrase(key).replace("{tip}", rubric.criterion(next_move).tip))
    return " ".join(parts)
