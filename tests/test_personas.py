"""Persona files: the shipped set is valid, and broken ones are explained, never run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.__main__ import main
from bot.domain.catalog import load_catalog, load_persona
from bot.domain.content import ContentError
from bot.domain.ids import RuptureType
from bot.domain.templates import PromptRenderer, TemplateProblem
from tests.helpers import PERSONAS, ROOT


def _write(
    tmp_path: Path, persona_id: str, changes: dict[str, object], template: str | None = None
) -> Path:
    data = yaml.safe_load((PERSONAS / "homework-pointless.yaml").read_text())
    data.update(changes)
    data["id"] = persona_id
    (tmp_path / "templates").mkdir(exist_ok=True)
    shutil.copy(PERSONAS / "templates" / "base.j2", tmp_path / "templates" / "base.j2")
    if template is not None:
        (tmp_path / "templates" / f"{persona_id}.j2").write_text(template)
        data["system_template"] = f"{persona_id}.j2"
    path = tmp_path / f"{persona_id}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_persona(path, PromptRenderer(path.parent / "templates"))
    return [str(p) for p in caught.value.problems]


def test_shipped_personas_cover_every_family_in_two_languages() -> None:
    catalog = load_catalog(PERSONAS, ROOT / "rubrics")
    assert [str(p) for p in catalog.problems if "personas" in p.file] == []
    personas = list(catalog.personas.values())
    assert len(personas) >= 8
    kinds = {p.rupture_type for p in personas}
    assert kinds == set(RuptureType)
    assert sum(p.rupture_type is RuptureType.MIXED for p in personas) >= 2
    assert sum(p.language == "de" for p in personas) >= 2
    markers = {m for p in personas for m in p.markers}
    for family in (
        {
            "complaint_about_therapist",
            "complaint_about_activities",
            "complaint_about_parameters",
            "complaint_about_progress",
        },
        {"reject_intervention", "defend_self"},
        {"control_pressure"},
        {"denial", "minimal_response", "self_criticism_hopelessness"},
        {"abstract_communication", "avoidant_storytelling", "shifting_topic"},
        {"deferential_appeasing", "content_affect_split"},
    ):
        assert markers & family, family
    assert sum(p.system_template is not None for p in personas) >= 3


def test_unknown_marker_names_file_field_and_the_allowed_ids(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad-marker", {"markers": ["sulking"]})
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}: markers[0]: ")
    assert "'sulking'" in problem and "'denial'" in problem and "'control_pressure'" in problem


def test_missing_band_and_bad_id_are_both_reported(tmp_path: Path) -> None:
    data = yaml.safe_load((PERSONAS / "homework-pointless.yaml").read_text())
    lines = data["lines"]
    del lines["vulnerability"]["low"]
    path = _write(tmp_path, "missing-band", {"lines": lines, "difficulty": 7})
    problems = _problems(path)
    assert f"{path}: difficulty: Input should be less than or equal to 3" in problems
    path2 = _write(tmp_path, "missing-band2", {"lines": lines})
    assert _problems(path2) == [
        f"{path2}: lines.vulnerability.low: needs at least 2 variants, found 0"
    ]


def test_id_must_match_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "daniel", {})
    renamed = path.with_name("other.yaml")
    path.rename(renamed)
    assert _problems(renamed) == [
        f"{renamed}: id: is 'daniel' but the file is named other.yaml; "
        "rename the file to daniel.yaml or change the id"
    ]


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: broken\ntitle: [unclosed\n")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}: YAML syntax error at line 3")


SSTI = "{{ cycler.__init__.__globals__.os.popen('touch %s').read() }}"


def test_ssti_payload_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    template = '{% extends "base.j2" %}{% block extra %}' + SSTI % marker + "{% endblock %}"
    path = _write(tmp_path, "ssti", {}, template)
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}: system_template: ssti.j2: sandbox violation")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "{% for i in range(10**8) %}x{% endfor %}",
            "range() of 100000000 items exceeds the limit",
        ),
        ("{{ 'a' * 100000000 }}", "repetition too large"),
        (
            "{% for a in range(9) %}{% for b in range(9) %}{% for c in range(9) %}x"
            "{% endfor %}{% endfor %}{% endfor %}",
            "loops nest deeper than 2 levels",
        ),
        ("{{ patient.shoe_size }}", "'dict object' has no attribute 'shoe_size'"),
        ("{% if %}", "(line 1)"),
    ],
)
def test_template_bombs_and_mistakes_are_refused(tmp_path: Path, body: str, expected: str) -> None:
    template = '{% extends "base.j2" %}{% block extra %}' + body + "{% endblock %}"
    path = _write(tmp_path, "bomb", {}, template)
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}: system_template: bomb.j2")
    assert expected in problem


def test_trainee_text_in_a_template_variable_is_not_rendered(tmp_path: Path) -> None:
    path = _write(tmp_path, "literal", {"opening": "{{ 7*7 }} is what you wrote"})
    persona = load_persona(path, PromptRenderer(tmp_path / "templates"))
    assert persona.opening == "{{ 7*7 }} is what you wrote"


def test_validate_command_exits_nonzero_and_lists_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = ROOT / "personas" / "homework-pointless.yaml"
    bad = _write(tmp_path, "bad-marker", {"markers": ["sulking"], "difficulty": 0})
    assert main(["personas", "validate", str(good), str(bad)]) == 1
    out, err = capsys.readouterr()
    assert f"✓ {good}" in out
    assert "2 file(s) checked, 1 valid, 2 problem(s)." in out
    assert f"✗ {bad}: markers[0]: got 'sulking'" in err
    assert f"✗ {bad}: difficulty: Input should be greater than or equal to 1" in err
    assert main(["personas", "validate", str(good)]) == 0


def test_preview_prints_prompt_and_opening(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["personas", "preview", "homework-pointless"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("=== system prompt ===\nYou are role-playing a psychotherapy patient")
    assert "You are Daniel, 41, man." in out
    assert out.rstrip().endswith("Six weeks and I feel exactly the same.")


def test_a_rendered_prompt_is_reused_until_its_template_changes(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "edited", {}, '{% extends "base.j2" %}{% block extra %}First.{% endblock %}'
    )
    renderer = PromptRenderer(tmp_path / "templates")
    persona = load_persona(path, renderer)
    first = renderer.render_system(persona)
    assert "First." in first
    assert renderer.render_system(persona) is first  # the same persona and template: no re-render

    renderer.add_template(
        "edited.j2", '{% extends "base.j2" %}{% block extra %}Second.{% endblock %}'
    )
    second = renderer.render_system(persona)
    assert "Second." in second and "First." not in second

    loops = "{% for a in [1] %}{% for b in [1] %}{% for c in [1] %}x"
    deep = loops + "{% endfor %}{% endfor %}{% endfor %}"
    renderer.add_template(
        "edited.j2", '{% extends "base.j2" %}{% block extra %}' + deep + "{% endblock %}"
    )
    with pytest.raises(TemplateProblem, match="loops nest deeper than 2 levels"):
        renderer.render_system(persona)
