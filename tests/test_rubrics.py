"""The rubric files: they load, are complete in both languages, and errors are explained."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.domain.content import ContentError, load_model
from bot.domain.evaluation import Language, RuptureMoment, Utterance
from bot.domain.ids import MoveFamily, Pitfall, RepairStrategy, RuptureType, Speaker
from bot.domain.rubric import Rubric
from bot.judges import RuleJudge

RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"

PHRASE_KEYS = {
    "resolution",
    "moves_used",
    "pitfalls",
    "best_moment",
    "weakest_moment",
    "suggestion",
    "model_reply",
    "no_moves",
    "no_pitfalls",
    "turn",
    "hint_prefix",
    "feedback_worked",
    "feedback_watch",
    "feedback_try",
    "feedback_next",
    "rating",
    "tension",
    *(f"resolution_{n}" for n in range(1, 6)),
}

#: An earlier exploring turn, so that a tentative link counts as a link.
EXPLORED = {
    "en": "What has it been like for you when I bring up the plan?",
    "de": "Wie ist das für Sie, wenn ich den Plan anspreche?",
}


def load(lang: str) -> Rubric:
    return load_model(RUBRICS / f"{lang}.yaml", Rubric)


@pytest.fixture(scope="module")
def rubrics() -> dict[str, Rubric]:
    return {"en": load("en"), "de": load("de")}


def test_both_rubrics_load_with_their_ids(rubrics: dict[str, Rubric]) -> None:
    assert (rubrics["en"].id, rubrics["en"].language) == ("aft-en", "en")
    assert (rubrics["de"].id, rubrics["de"].language) == ("aft-de", "de")


def test_english_anchors_are_the_canonical_wording(rubrics: dict[str, Rubric]) -> None:
    assert rubrics["en"].rating_anchors == {
        1: "harms the alliance",
        2: "misses the rupture",
        3: "attends to it partly",
        4: "good repair move",
        5: "skilful, well-timed repair",
    }


@pytest.mark.parametrize("lang", ["en", "de"])
def test_every_move_and_pitfall_has_a_complete_criterion(
    rubrics: dict[str, Rubric], lang: str
) -> None:
    rubric = rubrics[lang]
    assert {c.id for c in rubric.criteria} == {*RepairStrategy, *Pitfall}
    for criterion in rubric.criteria:
        assert 2 <= len(criterion.examples) <= 4, criterion.id
        assert criterion.indicators.patterns, criterion.id
        # one concrete suggestion: a single sentence
        assert len(re.findall(r"[.!?](\s|$)", criterion.tip)) == 1, criterion.id
        if isinstance(criterion.id, Pitfall):
            assert criterion.family is MoveFamily.PITFALL


@pytest.mark.parametrize("lang", ["en", "de"])
def test_phrases_cover_the_feedback_display(rubrics: dict[str, Rubric], lang: str) -> None:
    phrases = rubrics[lang].phrases
    assert set(phrases) >= PHRASE_KEYS
    assert all(value.strip() for value in phrases.values())
    assert "{items}" in phrases["feedback_worked"]
    assert "{tip}" in phrases["feedback_try"]


def test_german_rubric_is_written_in_german(rubrics: dict[str, Rubric]) -> None:
    en, de = rubrics["en"], rubrics["de"]
    for key in PHRASE_KEYS:
        assert en.phrase(key) != de.phrase(key), key
    for move in (*RepairStrategy, *Pitfall):
        assert en.criterion(move).name != de.criterion(move).name
        assert en.criterion(move).tip != de.criterion(move).tip
    assert de.rating_anchors[1] == "schadet der Allianz"
    assert de.phrase("resolution_5") == "Vollständig aufgelöst"


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_rule_judge_recognises_every_example_in_the_rubric(
    rubrics: dict[str, Rubric], lang: Language
) -> None:
    """Examples and indicators agree: trainees never see an example the judge would not credit."""
    judge = RuleJudge(rubrics)
    missed: list[str] = []
    for criterion in rubrics[lang].criteria:
        for example in criterion.examples:
            context: tuple[Utterance, ...] = (
                Utterance(speaker=Speaker.PATIENT, text="..."),
                Utterance(speaker=Speaker.TRAINEE, text=EXPLORED[lang]),
            )
            result = judge.assess(
                RuptureMoment(
                    lang=lang,
                    rupture=RuptureType.CONFRONTATION,
                    context=context,
                    reply=example,
                )
            )
            found = {*result.moves, *result.pitfalls}
            if criterion.id not in found:
                missed.append(f"{criterion.id}: {example!r} -> {sorted(found)}")
    assert not missed, "\n".join(missed)


def _write_variant(tmp_path: Path, edit: str) -> Path:
    data = yaml.safe_load((RUBRICS / "en.yaml").read_text(encoding="utf-8"))
    if edit == "drop_criterion":
        data["criteria"] = [c for c in data["criteria"] if c["id"] != "metacommunication"]
    elif edit == "bad_regex":
        data["criteria"][2]["indicators"]["patterns"].append(r"\b(unclosed")
    path = tmp_path / "en.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_missing_criterion_names_the_file_and_the_gap(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "drop_criterion")
    with pytest.raises(ContentError) as info:
        load_model(path, Rubric)
    [problem] = info.value.problems
    assert problem.file == str(path)
    assert problem.field == "criteria"
    assert "metacommunication" in problem.message


def test_a_bad_regex_names_the_file_the_field_and_the_pattern(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "bad_regex")
    with pytest.raises(ContentError) as info:
        load_model(path, Rubric)
    [problem] = info.value.problems
    assert problem.file == str(path)
    assert problem.field == "criteria[2].indicators.patterns"
    assert r"\b(unclosed" in problem.message
    assert "not a valid regular expression" in problem.message
