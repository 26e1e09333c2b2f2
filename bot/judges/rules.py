"""The offline rule judge: rubric indicators read with negation, context and intent in mind.

Deterministic and dependency-free, so practice works without a model server and
tests can pin exact results. The reply is data: text addressed to an evaluator
("SYSTEM: ...", "give this 5/5") ends the part of the reply in which repair moves
are looked for, while pitfalls are looked for everywhere, so such text can only
lower a score.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from bot.domain.evaluation import RuptureMoment, TurnEvaluation
from bot.domain.ids import MoveFamily, Pitfall, RepairStrategy, RuptureType, Speaker
from bot.domain.rubric import Rubric
from bot.judges.cues import (
    Cues,
    after_apology,
    blame,
    complaint_stems,
    cues_for,
    defence,
    typecast,
)
from bot.judges.hints import suggest_next_move
from bot.judges.lexicon import Lexicon, lexicon_for
from bot.judges.matching import (
    CompiledCriteria,
    CompiledRubric,
    Hit,
    compile_rubric,
    find,
    find_all,
)
from bot.judges.text import (
    Sentence,
    injection_start,
    mask_quotes,
    normalise,
    sentences,
    set_injections_apart,
)

#: Pitfalls that damage the alliance outright (rating 1).
HARMFUL = frozenset({Pitfall.BLAMES_PATIENT, Pitfall.DEFENSIVE})
#: Pitfalls that, after a "but", take back an empathic move earlier in the sentence.
_TAKES_BACK = (Pitfall.DEFENSIVE, Pitfall.BLAMES_PATIENT, Pitfall.IGNORES_RUPTURE)
_OPENING = frozenset({RepairStrategy.EXPLORE_RUPTURE, RepairStrategy.METACOMMUNICATION})
_ATTUNING = frozenset(
    {
        RepairStrategy.ACKNOWLEDGE_CONTRIBUTION,
        RepairStrategy.VALIDATE_DEFENSE,
        RepairStrategy.DISCLOSE_INTERNAL_EXPERIENCE,
    }
)
_OPENING_OR_LINK = _OPENING | {RepairStrategy.LINK_TO_PATTERN}
#: Moves that do not stand in a sentence that also defends or blames: a reason given as an
#: argument, a "feeling" that carries a reproach ("I'm worried you keep finding reasons...").
_VOICED_BY_A_REPROACH = frozenset(
    {RepairStrategy.PROVIDE_RATIONALE, RepairStrategy.DISCLOSE_INTERNAL_EXPERIENCE}
)
_LINK = RepairStrategy.LINK_TO_PATTERN
#: earlier replies remembered by `RuleJudge._opens_rupture` before it starts afresh
_OPENED_MEMORY = 20_000
_PREMATURE = Pitfall.PREMATURE_INTERPRETATION
#: In the order results are listed (an enum's own iteration is slow in a hot loop).
_MOVES = tuple(RepairStrategy)
_PITFALLS = tuple(Pitfall)


def rate(moves: Collection[RepairStrategy], pitfalls: Collection[Pitfall]) -> int:
    """The 1-5 reply rating, as the labelling guide (evaluation/GUIDE.md) applies the anchors.

    Monotone, so fewer moves or more pitfalls never raise it.
    """
    found = set(moves)
    if HARMFUL & set(pitfalls):
        return 2 if found else 1
    if not found:
        return 2
    if pitfalls or all(m.family is MoveFamily.IMMEDIATE for m in found):
        return 3
    if _OPENING_OR_LINK & found and _ATTUNING & found:
        return 5
    return 4


@dataclass
class _Findings:
    moves: dict[RepairStrategy, Hit]
    pitfalls: dict[Pitfall, Hit]


class RuleJudge:
    """Judges a reply with the rubric's indicators for the moment's language (falls back to en)."""

    name = "rules"
    calls_model = False

    def __init__(self, rubrics: Mapping[str, Rubric]) -> None:
        if not rubrics:
            raise ValueError("RuleJudge needs at least one rubric")
        self._rubrics = dict(rubrics)
        self._compiled = {lang: compile_rubric(r) for lang, r in self._rubrics.items()}
        #: earlier trainee replies that opened the rupture up: see `_opens_rupture`
        self._opened: dict[tuple[int, int, bytes], bool] = {}

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
        findings = self._find(moment, self._compiled[lang], lexicon_for(lang), cues_for(lang))
        moves = tuple(m for m in _MOVES if m in findings.moves)
        pitfalls = tuple(p for p in _PITFALLS if p in findings.pitfalls)
        rating = rate(moves, pitfalls)
        evidence: dict[str, str] = {}
        for key, hit in (*findings.moves.items(), *findings.pitfalls.items()):
            quote = moment.reply[hit.sentence.start : hit.sentence.end]
            if quote:
                evidence[str(key)] = quote
        next_move = self.suggest_move(moment, moves, pitfalls)
        return TurnEvaluation(
            moves=moves,
            pitfalls=pitfalls,
            rating=rating,
            evidence=evidence,
            feedback=compose_feedback(rubric, moves, pitfalls, rating, next_move),
            judge=self.name,
        )

    def suggest_move(
        self, moment: RuptureMoment, moves_seen: Iterable[str] = (), pitfalls: Iterable[str] = ()
    ) -> RepairStrategy:
        """The next repair move to suggest (`bot.domain.next_move`: the hints' policy)."""
        return suggest_next_move(moment, moves_seen, pitfalls)

    # ------------------------------------------------------------------ finding

    def _find(
        self, moment: RuptureMoment, rubric: CompiledRubric, lexicon: Lexicon, cues: Cues
    ) -> _Findings:
        text = mask_quotes(normalise(moment.reply))
        compiled = rubric.for_text(text)
        everywhere = sentences(set_injections_apart(text))
        before_injection = sentences(text, injection_start(text))
        move_hits: dict[RepairStrategy, list[Hit]] = {
            m: find_all(compiled[m], before_injection, lexicon) for m in _MOVES if m is not _LINK
        }
        pitfall_hits: dict[Pitfall, list[Hit]] = {
            p: find_all(compiled[p], everywhere, lexicon) for p in _PITFALLS
        }
        _structural_cues(moment, everywhere, compiled, lexicon, cues, move_hits, pitfall_hits)
        _take_back(move_hits, pitfall_hits, lexicon)
        _take_back_across(everywhere, move_hits, pitfall_hits, lexicon)
        opening_at = {h.sentence.start for m in _OPENING for h in move_hits[m]}
        explored_before = self._explored_before(moment, rubric, lexicon)

        def explored(sentence: Sentence) -> bool:
            """Explored earlier in the conversation, or in another sentence of this reply."""
            return explored_before or bool(opening_at - {sentence.start})

        move_region = {s.start for s in before_injection}
        links: list[Hit] = []
        for hit in find_all(compiled[_LINK], everywhere, lexicon):
            tentative = lexicon.hedges.search(hit.sentence.text) is not None
            if tentative and explored(hit.sentence):
                if hit.sentence.start in move_region:
                    links.append(hit)
            else:
                pitfall_hits[_PREMATURE].append(hit)
        if explored_before and self._elsewhere_in_context(moment, lexicon):
            links += [
                Hit(_LINK, s, s.start, s.end)
                for s in before_injection
                if _sounds_like_a_link(s.text, lexicon)
            ]
        move_hits[_LINK] = sorted(links, key=lambda h: h.start)
        pitfall_hits[_PREMATURE] = [
            h
            for h in pitfall_hits[_PREMATURE]
            if not (explored(h.sentence) and lexicon.hedges.search(h.sentence.text))
        ]
        interpreting = {h.sentence.start for h in pitfall_hits[_PREMATURE]}
        for move, hits in move_hits.items():
            if move.family is not MoveFamily.IMMEDIATE:
                # "You're angry at me because..." is interpretation, not inquiry
                hits[:] = [h for h in hits if h.sentence.start not in interpreting]
        moves = {m: hits[0] for m, hits in move_hits.items() if hits}
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

    @staticmethod
    def _elsewhere_in_context(moment: RuptureMoment, lexicon: Lexicon) -> bool:
        """Has the patient described other relationships or the past in this conversation?"""
        return any(
            u.speaker is Speaker.PATIENT and lexicon.elsewhere.search(normalise(u.text))
            for u in moment.context
        )

    def _explored_before(
        self, moment: RuptureMoment, rubric: CompiledRubric, lexicon: Lexicon
    ) -> bool:
        """Has the trainee already explored the rupture earlier in this conversation?"""
        return any(
            self._opens_rupture(utterance.text, rubric, lexicon)
            for utterance in moment.context
            if utterance.speaker is Speaker.TRAINEE
        )

    def _opens_rupture(self, said: str, rubric: CompiledRubric, lexicon: Lexicon) -> bool:
        """Does this earlier reply explore the rupture? Remembered per reply text.

        Every turn re-reads the session's earlier replies, and each reads the same way each
        time; working them out anew was half of the judge's time in a long session. The memory
        is bounded and keyed by a digest, so no reply text outlives its erasure here.
        """
        key = (id(rubric), id(lexicon), hashlib.blake2b(said.encode(), digest_size=16).digest())
        opened = self._opened.get(key)
        if opened is None:
            if len(self._opened) >= _OPENED_MEMORY:
                self._opened.clear()
            text = normalise(said)
            compiled = rubric.for_text(text)
            parts = sentences(text)
            opened = any(find_all(compiled[m], parts, lexicon) for m in _OPENING)
            self._opened[key] = opened
        return opened


def _structural_cues(
    moment: RuptureMoment,
    everywhere: list[Sentence],
    compiled: CompiledCriteria,
    lexicon: Lexicon,
    cues: Cues,
    move_hits: Mapping[RepairStrategy, list[Hit]],
    pitfall_hits: Mapping[Pitfall, list[Hit]],
) -> None:
    """Pitfalls found by their structure (`bot.judges.cues`), not by a listed phrase.

    The criterion's counter-patterns still apply ("it's okay that you...", a reflection of
    the patient's words). A denial or an apology in a sentence that also owns or clarifies
    something is left to the indicators: "I didn't check with you" is an admission.
    """
    complaint: set[str] = set()
    if moment.rupture is not RuptureType.WITHDRAWAL:
        # contradicting a withdrawn patient's self-view is reassurance, not self-defence
        complaint = complaint_stems(_last_patient_turn(moment), cues, lexicon)
    owning = {
        h.sentence.start
        for m in (RepairStrategy.ACKNOWLEDGE_CONTRIBUTION, RepairStrategy.CLARIFY_MISUNDERSTANDING)
        for h in move_hits[m]
    }
    moving = {h.sentence.start for hits in move_hits.values() for h in hits}

    def add(pitfall: Pitfall, sentence: Sentence, span: tuple[int, int] | None) -> None:
        if span is not None and not any(
            p.search(sentence.text) for p in compiled[pitfall].counter_patterns
        ):
            pitfall_hits[pitfall].append(
                Hit(pitfall, sentence, sentence.start + span[0], sentence.start + span[1])
            )

    for sentence in everywhere:
        add(Pitfall.BLAMES_PATIENT, sentence, blame(sentence, cues, lexicon))
        add(_PREMATURE, sentence, typecast(sentence, cues))
        if sentence.start not in owning:
            add(Pitfall.DEFENSIVE, sentence, defence(sentence, cues, lexicon, complaint))
    for apology, sentence in after_apology(everywhere, cues):
        if sentence.start not in moving:
            # "I'm sorry. But ...": the contrast takes the apology back, as "but" does within
            # a sentence, so the apology no longer counts as owning anything
            add(Pitfall.DEFENSIVE, sentence, (0, len(sentence.text)))
            if _owns_beyond_apology(apology, compiled, lexicon, cues):
                continue  # "I didn't explain it, that was my mistake. But..." still owns it
            for move in _ATTUNING:
                move_hits[move][:] = [h for h in move_hits[move] if h.sentence != apology]


def _owns_beyond_apology(
    apology: Sentence, compiled: CompiledCriteria, lexicon: Lexicon, cues: Cues
) -> bool:
    """Does the sentence own something even with its apology words left out?"""
    bare = cues.apology.sub(lambda m: "_" * len(m.group()), apology.text)
    owning = compiled[RepairStrategy.ACKNOWLEDGE_CONTRIBUTION]
    return find(owning, Sentence(apology.start, apology.end, bare), lexicon) is not None


def _last_patient_turn(moment: RuptureMoment) -> str:
    for utterance in reversed(moment.context):
        if utterance.speaker is Speaker.PATIENT:
            return normalise(utterance.text)
    return ""


def _sounds_like_a_link(sentence: str, lexicon: Lexicon) -> bool:
    """A tentative likeness between the here and now and what the patient described."""
    return all(p.search(sentence) for p in (lexicon.hedges, lexicon.here_and_now, lexicon.likeness))


def _take_back(
    move_hits: Mapping[RepairStrategy, list[Hit]],
    pitfall_hits: Mapping[Pitfall, list[Hit]],
    lexicon: Lexicon,
) -> None:
    """Drop the places where a move is taken back in the same sentence.

    "I can see it's frustrating, but you need to commit" is not validation;
    "That sounds hard, so let's get back to the worksheet" pushes the task on;
    a question that pushes the task on is not exploration; a reason given next
    to a defence or a reproach is an argument, not a rationale; and a worry
    voiced about the patient's effort is a reproach, not a disclosure. A move
    still counts if it stands somewhere else in the reply.
    """
    for move, hits in move_hits.items():
        hits[:] = [h for h in hits if not _taken_back(move, h, pitfall_hits, lexicon)]


def _take_back_across(
    said: list[Sentence],
    move_hits: Mapping[RepairStrategy, list[Hit]],
    pitfall_hits: Mapping[Pitfall, list[Hit]],
    lexicon: Lexicon,
) -> None:
    """A validation taken back by the next sentence: "That makes sense. But we do it anyway."

    The next sentence must open with a contrast and push on, defend or blame; a
    validation followed by an unrelated sentence still stands.
    """
    pushing = {h.sentence.start for p in _TAKES_BACK for h in pitfall_hits[p]}
    for before, after in itertools.pairwise(said):
        if after.start in pushing and lexicon.contrast.match(after.text):
            hits = move_hits[RepairStrategy.VALIDATE_DEFENSE]
            hits[:] = [h for h in hits if h.sentence.start != before.start]


def _taken_back(
    move: RepairStrategy, hit: Hit, pitfall_hits: Mapping[Pitfall, list[Hit]], lexicon: Lexicon
) -> bool:
    sentence = hit.sentence
    same = {
        pitfall: [p for p in pitfall_hits[pitfall] if p.sentence.start == sentence.start]
        for pitfall in _TAKES_BACK
    }
    if move in _VOICED_BY_A_REPROACH:
        return any(same[p] for p in HARMFUL)
    if move.family is MoveFamily.IMMEDIATE:
        return False
    for pitfall, found in same.items():
        for p in found:
            pushes_on = pitfall is Pitfall.IGNORES_RUPTURE and (
                move is RepairStrategy.EXPLORE_RUPTURE or p.start >= hit.end
            )
            between = sentence.text[hit.end - sentence.start : p.start - sentence.start]
            yes_but = p.start >= hit.end and lexicon.contrast.search(between) is not None
            if pushes_on or yes_but:
                return True
    return False


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
