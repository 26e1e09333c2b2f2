"""`python -m bot content validate|list`: exit codes and what the trainer reads."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "content" / "modules"
SAFETY = ROOT / "content" / "safety.yaml"


def test_validate_checks_the_curriculum_and_safety_by_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTENT_DIR", str(ROOT / "content"))

    assert main(["content", "validate"]) == 0

    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"✓ {MODULES} (6 modules: 42 pages, 75 drills, 60 prompts)",
        f"✓ {SAFETY}",
        "2 path(s) checked, 2 valid, 0 problem(s).",
    ]
    assert err == ""


def test_validate_exits_1_and_lists_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = tmp_path / "withdrawal"
    shutil.copytree(MODULES / "withdrawal", module)
    drills = module / "drills.yaml"
    drills.write_text(
        drills.read_text().replace("answer: denial", "answer: silence", 1), encoding="utf-8"
    )
    safety = tmp_path / "safety.yaml"
    safety.write_text("crisis_patterns: {}\nhelp_text: {}\n", encoding="utf-8")

    code = main(["content", "validate", str(MODULES / "introduction"), str(module), str(safety)])

    out, err = capsys.readouterr()
    assert code == 1
    assert f"✓ {MODULES / 'introduction'}" in out
    assert out.splitlines()[-1] == "3 path(s) checked, 1 valid, 2 problem(s)."
    assert err.splitlines() == [
        f"✗ {drills}: drills[0] (wd-d01).detail.answer: 'silence' is not among the options "
        "(denial, minimal_response, deferential_appeasing, defend_self); make it one of them "
        "or add it to the options",
        f"✗ {safety}: resume_text: missing; this field is required",
    ]


def test_validate_a_single_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "validate", str(MODULES / "expressive" / "prompts.yaml")]) == 0
    assert capsys.readouterr().out.startswith(f"✓ {MODULES / 'expressive' / 'prompts.yaml'}\n")

    assert main(["content", "validate", str(MODULES / "nowhere.yaml")]) == 1
    assert "nowhere.yaml: does not exist" in capsys.readouterr().err


def test_list_shows_each_module_with_its_counts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTENT_DIR", str(ROOT / "content"))

    assert main(["content", "list"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "introduction",
        "confrontation",
        "withdrawal",
        "mixed",
        "immediate",
        "expressive",
    ]
    assert lines[1].endswith("10 prompts  Confrontation ruptures")


def test_help_lists_the_content_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "validate", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0
    assert "names the file, the field and what to write instead" in " ".join(result.stdout.split())
