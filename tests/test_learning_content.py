"""The shipped curriculum validates; for broken files the validator names file, field and fix."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.domain.catalog import load_catalog
from bot.domain.content import ContentError
from bot.domain.evaluation import RuptureMoment, Utterance
from bot.domain.ids import Pitfall, Speaker
from bot.judges.rules import RuleJudge
from bot.learning import ModuleId, Noticed, check_path, load_learning, validate_learning
from bot.learning.catalog import load_module
from bot.learning.models import MAX_PAGE_CHARS

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "content" / "modules"
CURRICULUM = load_learning(MODULES)


# --- the shipped content ----------------------------------------------------------------


def test_the_shipped_curriculum_validates() -> None:
    assert validate_learning(MODULES) == []
    assert CURRICULUM.problems == []
    assert list(CURRICULUM.modules) == list(ModuleId)


@pytest.mark.parametrize("module_id", list(ModuleId))
def test_every_module_has_theory_ten_drills_and_ten_prompts(module_id: ModuleId) -> None:
    module = CURRICULUM.modules[module_id]

    assert len(module.theory) >= 5
    assert all(20 <= len(page.body) <= MAX_PAGE_CHARS for page in module.theory)
    assert len(module.drills) >= 10
    assert len(module.prompts) == 10
    assert any(d.noticed is Noticed.NONE for d in module.drills), "include a 'none' drill"
    assert len({d.noticed for d in module.drills}) >= 2, "mix the right answers"


def test_every_answer_of_the_seed_is_trained_often() -> None:
    answers = Counter(d.noticed for _, d in CURRICULUM.all_drills())

    assert set(answers) == set(Noticed)
    assert min(answers.values()) >= 5


def test_the_theory_cites_the_figures_from_the_research() -> None:
    text = "\n".join(p.body for p in CURRICULUM.modules[ModuleId.INTRODUCTION].theory)

    for figure in (
        "r = .28",
        "295 studies",
        "30,000 patients",
        "8 %",
        "19–42 %",
        "43–56 %",
        "26–100 %",
        "r ≈ .19",
        "r ≈ .29",
        "Goals",
        "Tasks",
        "Bond",
        "3RS",
        "meta-communication",
    ):
        assert figure in text, figure


def test_the_glossary_labels_every_option_a_trainee_can_see() -> None:
    glossary = CURRICULUM.glossary
    shown = {n.value for n in Noticed} | {
        option for _, d in CURRICULUM.all_drills() if d.detail for option in d.detail.options
    }

    assert shown <= set(glossary.labels)
    assert glossary.label("none") == "None is correct"
    assert glossary.label("metacommunication") == "Meta-communication"


def test_model_answers_earn_the_moves_they_are_said_to_show() -> None:
    """The offline judge agrees with the content: model answers show their expected moves."""
    judge = RuleJudge(load_catalog(ROOT / "personas", ROOT / "rubrics").rubrics)

    async def judge_all() -> list[tuple[str, int, bool]]:
        results = []
        for _, prompt in CURRICULUM.all_prompts():
            evaluation = await judge.evaluate(
                RuptureMoment(
                    rupture=prompt.rupture,
                    marker=prompt.marker,
                    context=(Utterance(speaker=Speaker.PATIENT, text=prompt.patient),),
                    reply=prompt.model_answer,
                )
            )
            harmful = {Pitfall.BLAMES_PATIENT, Pitfall.DEFENSIVE} & set(evaluation.pitfalls)
            every_move = set(prompt.expected_moves) <= set(evaluation.moves)
            results.append((prompt.id, evaluation.rating if not harmful else 1, every_move))
        return results

    results = asyncio.run(judge_all())

    assert [r for r in results if r[1] < 3] == []
    assert sum(ok for _, _, ok in results) >= 0.9 * len(results)


# --- broken files --------------------------------------------------------------------------


@pytest.fixture
def modules(tmp_path: Path) -> Path:
    copy = tmp_path / "modules"
    shutil.copytree(MODULES, copy)
    return copy


def edit(path: Path, change: Callable[[str], str]) -> None:
    before = path.read_text(encoding="utf-8")
    after = change(before)
    assert after != before, "the edit did not apply"
    path.write_text(after, encoding="utf-8")


def replace(path: Path, old: str, new: str) -> None:
    edit(path, lambda text: text.replace(old, new, 1))


def problems_in(path: Path) -> list[str]:
    return [str(p) for p in check_path(path)]


def test_a_drill_whose_answer_is_not_among_its_options(modules: Path) -> None:
    drills = modules / "confrontation" / "drills.yaml"
    edit(drills, lambda s: s.replace("answer: complaint_about_parameters", "answer: fees", 1))

    assert problems_in(drills) == [
        f"{drills}: drills[2] (conf-d03).detail.answer: 'fees' is not among the options "
        "(complaint_about_parameters, complaint_about_therapist, defend_self, control_pressure); "
        "make it one of them or add it to the options"
    ]


def test_an_unknown_marker_id_and_a_marker_from_the_wrong_family(modules: Path) -> None:
    prompts = modules / "withdrawal" / "prompts.yaml"
    edit(prompts, lambda s: s.replace("marker: minimal_response", "marker: minimal", 1))
    edit(prompts, lambda s: s.replace("marker: denial", "marker: control_pressure", 1))

    withdrawal = (
        "denial, minimal_response, abstract_communication, avoidant_storytelling, shifting_topic, "
        "deferential_appeasing, content_affect_split, self_criticism_hopelessness"
    )
    assert problems_in(prompts) == [
        f"{prompts}: prompts[0] (wd-p01).marker: 'minimal' is not a marker id; "
        f"use one of: {withdrawal}",
        f"{prompts}: prompts[1] (wd-p02).marker: 'control_pressure' is not a withdrawal marker; "
        f"use one of: {withdrawal} (or change the rupture)",
    ]


def test_a_missing_field_and_an_unknown_move_are_reported_together(modules: Path) -> None:
    prompts = modules / "mixed" / "prompts.yaml"
    replace(prompts, "[metacommunication, explore_rupture]", "[metacommunication, explore]")
    edit(prompts, lambda s: s.replace("    model_answer: >-\n", "    answer: >-\n", 1))

    assert problems_in(prompts) == [
        f"{prompts}: prompts[0] (mixed-p01).expected_moves[1]: got 'explore'; expected one of "
        "'clarify_misunderstanding', 'change_task_or_goal', 'provide_rationale', "
        "'redirect_refocus', 'explore_rupture', 'disclose_internal_experience', "
        "'link_to_pattern', 'acknowledge_contribution', 'validate_defense' or 'metacommunication'",
        f"{prompts}: prompts[0] (mixed-p01).model_answer: missing; this field is required",
        f"{prompts}: prompts[0] (mixed-p01).answer: unknown field; check the spelling or remove it",
    ]


def test_a_duplicate_id_and_too_few_drills(modules: Path) -> None:
    drills = modules / "immediate" / "drills.yaml"
    edit(drills, lambda s: s[: s.index("  - id: imm-d04")].replace("id: imm-d02", "id: imm-d01"))

    assert problems_in(drills) == [
        f"{drills}: drills[1] (imm-d01).id: 'imm-d01' is used twice; give every drill its own id",
        f"{drills}: drills: has 3 drill(s); a module needs at least 10",
    ]


def test_a_drill_about_a_rupture_must_end_with_the_patient(modules: Path) -> None:
    drills = modules / "withdrawal" / "drills.yaml"
    replace(drills, "- patient: \"No, I'm fine.", "- therapist: \"No, I'm fine.")

    assert problems_in(drills) == [
        f"{drills}: drills[0] (wd-d01).exchange: the last line is the therapist's, but a "
        "withdrawal_rupture drill is about the patient's last line; end the exchange with a "
        "patient line"
    ]


def test_a_theory_page_too_long_for_a_phone(modules: Path) -> None:
    theory = modules / "mixed" / "theory.md"
    edit(theory, lambda s: s.replace("## Common forms\n", "## Common forms\n\n" + "x" * 300 + "\n"))

    assert problems_in(theory) == [
        f"{theory}: pages[1] (Common forms): is 981 characters; a page must fit a phone screen "
        "(at most 900): shorten it or split it with another '## ' heading"
    ]


def test_yaml_syntax_errors_name_the_line(modules: Path) -> None:
    drills = modules / "expressive" / "drills.yaml"
    edit(drills, lambda s: s.replace("    noticed: expressive_repair\n", "    noticed: [\n", 1))

    [problem] = problems_in(drills)
    assert problem.startswith(f"{drills}: YAML syntax error at line ")


def test_a_module_folder_and_its_id_must_agree(modules: Path) -> None:
    edit(modules / "mixed" / "module.yaml", lambda s: s.replace("id: mixed", "id: withdrawal"))

    with pytest.raises(ContentError) as raised:
        load_module(modules / "mixed")

    assert [str(p) for p in raised.value.problems] == [
        f"{modules / 'mixed' / 'module.yaml'}: id: is 'withdrawal' but the folder is named "
        "'mixed'; rename the folder or change the id"
    ]


def test_a_broken_module_is_left_out_and_the_rest_still_load(modules: Path) -> None:
    replace(modules / "expressive" / "prompts.yaml", "id: exp-p01", "id: conf-p01")
    (modules / "notes").mkdir()

    catalog = load_learning(modules)

    assert list(catalog.modules) == [m for m in ModuleId if m is not ModuleId.EXPRESSIVE]
    assert [str(p) for p in catalog.problems] == [
        f"{modules / 'notes'}: is not a module; module folders are: confrontation, expressive, "
        "immediate, introduction, mixed, withdrawal",
        f"{modules / 'expressive' / 'prompts.yaml'}: prompts[0] (conf-p01).id: 'conf-p01' is "
        f"already used in {modules / 'confrontation' / 'prompts.yaml'}; ids must be unique "
        "across modules",
    ]


def test_the_glossary_must_label_every_canonical_id(modules: Path) -> None:
    glossary = modules / "glossary.yaml"
    edit(glossary, lambda s: s.replace('  denial: Avoidant denial ("I\'m fine")\n', ""))

    assert problems_in(glossary) == [
        f"{glossary}: labels.denial: missing; every canonical id needs a label"
    ]
    with pytest.raises(ContentError):
        load_learning(modules)


def test_a_path_that_is_not_curriculum_content(tmp_path: Path) -> None:
    stray = tmp_path / "notes.yaml"
    stray.write_text("a: 1\n")

    assert problems_in(stray) == [
        f"{stray}: is not a curriculum file; give a module folder or one of glossary.yaml, "
        "module.yaml, theory.md, drills.yaml, prompts.yaml"
    ]
    assert problems_in(tmp_path / "missing.yaml")[0].endswith(
        "does not exist; give a module folder or one of glossary.yaml, module.yaml, theory.md, "
        "drills.yaml, prompts.yaml"
    )
