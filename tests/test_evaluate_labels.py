"""`evaluate --gold --labels FILE`: a second coder's labels measured like a judge's output.

The second coder labelled every held-out line of `evaluation/devset.jsonl` from
`evaluation/GUIDE.md` alone, blind to the first coder's labels and to the judge; their
agreement with the gold is the inter-rater figure quoted in the guide's "Limits".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "evaluation" / "devset.jsonl"
SECOND_CODER = ROOT / "evaluation" / "second_coder.jsonl"
GUIDE = ROOT / "evaluation" / "GUIDE.md"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["evaluate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ------------------------------------------------------------------ the real second coder


def test_second_coder_agrees_with_the_gold_on_every_heldout_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    devset = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines()]
    heldout = {line["id"] for line in devset if line["split"] == "heldout"}
    coded = [json.loads(line) for line in SECOND_CODER.read_text(encoding="utf-8").splitlines()]
    assert len(coded) == len(heldout) == 661
    assert len({line["id"] for line in coded}) == len(coded), "one label per line"
    assert {line["id"] for line in coded} == heldout, "every held-out line, nothing else"

    metrics = tmp_path / "metrics.json"
    code, out, err = run(
        [
            "--input",
            str(DEVSET),
            "--gold",
            "--labels",
            str(SECOND_CODER),
            "--metrics-json",
            str(metrics),
        ],
        capsys,
    )

    assert code == 0
    assert out.startswith("== heldout (661 items, judge: labels:second_coder.jsonl)")
    assert "== dev (" not in out, "no dev line is labelled, so no dev section"
    assert "== all (" not in out
    assert err == (
        f"{len(devset) - 661} of {len(devset)} lines of {DEVSET} have no label in "
        f"{SECOND_CODER}: measuring the other 661\n"
    )
    payload: dict[str, Any] = json.loads(metrics.read_text(encoding="utf-8"))
    assert payload["judge"] == "labels:second_coder.jsonl"
    assert list(payload["splits"]) == ["heldout"]
    report = payload["splits"]["heldout"]
    assert report["items"] == 661
    assert report["macro_f1_moves"] >= 0.9
    assert report["pitfall_recall"] >= 0.9
    assert report["rating_kappa"] >= 0.9
    assert f"macro-F1 over moves: {report['macro_f1_moves']:.3f}" in out
    figures = (
        f"{report['macro_f1_moves']:.3f} / {report['pitfall_recall']:.3f} / "
        f"{report['rating_kappa']:.3f}"
    )
    assert figures in GUIDE.read_text(encoding="utf-8"), "the guide quotes these figures"


def test_the_split_option_selects_before_the_labels_are_matched(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--input", str(DEVSET), "--gold", "--labels", str(SECOND_CODER)]
    code, out, err = run([*args, "--split", "heldout"], capsys)
    assert code == 0
    assert out.startswith("== heldout (661 items")
    assert err == "", "every held-out line has a label"

    code, out, err = run([*args, "--split", "dev"], capsys)
    assert code == 2
    assert out == ""
    assert err == (f"error: no line of {DEVSET} (split dev) has a label in {SECOND_CODER}\n")


# ------------------------------------------------------------------ a tiny set, by hand


def line(item_id: str, split: str, moves: list[str], pitfalls: list[str], rating: int) -> str:
    return json.dumps(
        {
            "id": item_id,
            "rupture": "confrontation",
            "marker": "complaint_about_activities",
            "context": [{"speaker": "patient", "text": "These worksheets are pointless."}],
            "reply": "(not read: no judge runs)",
            "gold": {"moves": moves, "pitfalls": pitfalls, "rating": rating},
            "split": split,
        }
    )


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.jsonl"
    lines = [
        line("x1", "dev", ["explore_rupture", "validate_defense"], [], 5),
        line("x2", "dev", [], ["ignores_rupture"], 2),
        line("x3", "heldout", ["metacommunication"], ["ignores_rupture"], 3),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_labels(path: Path, *labels: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(label) + "\n" for label in labels), encoding="utf-8")
    return path


def test_a_disagreement_gives_the_expected_figures(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """x1: the coder reads acknowledgement where the gold has validation; x2: adds defensive."""
    labels = write_labels(
        tmp_path / "coder.jsonl",
        {"id": "x2", "moves": [], "pitfalls": ["ignores_rupture", "defensive"], "rating": 1},
        {
            "id": "x1",
            "moves": ["explore_rupture", "acknowledge_contribution"],
            "pitfalls": [],
            "rating": 5,
            "note": "borderline",
        },
    )
    metrics = tmp_path / "metrics.json"
    args = ["--input", str(tiny), "--gold", "--labels", str(labels)]
    code, out, err = run([*args, "--metrics-json", str(metrics)], capsys)

    assert code == 0
    assert err == f"1 of 3 lines of {tiny} have no label in {labels}: measuring the other 2\n"
    assert out.startswith("== dev (2 items, judge: labels:coder.jsonl)\n")
    assert "== heldout" not in out and "== all" not in out
    rows = {row.split()[0]: row.split()[1:] for row in out.splitlines()[2:16]}
    assert rows["explore_rupture"] == ["1.00", "1.00", "1.00", "1", "1"]
    assert rows["validate_defense"] == ["0.00", "0.00", "0.00", "1", "0"]
    assert rows["acknowledge_contribution"] == ["0.00", "0.00", "0.00", "0", "1"]
    assert rows["ignores_rupture"] == ["1.00", "1.00", "1.00", "1", "1"]
    assert rows["defensive"] == ["0.00", "0.00", "0.00", "0", "1"]
    assert rows["metacommunication"] == ["0.00", "0.00", "0.00", "0", "0"], "x3 left out"
    assert "items: 2\n" in out
    assert "macro-F1 over moves: 0.500\n" in out  # explore 1.0, validate 0.0
    assert "pitfall recall:      1.000\n" in out
    # gold ratings (5, 2), the coder's (5, 1): 1 - (1/16) / (13/16)
    assert "rating κ (quadratic): 0.923   exact: 0.50   within one: 1.00\n" in out
    assert "  validate_defense → acknowledge_contribution ×1" in out

    payload = json.loads(metrics.read_text(encoding="utf-8"))
    assert payload["judge"] == "labels:coder.jsonl"
    assert payload["input"] == str(tiny)
    report = payload["splits"]["dev"]
    assert list(payload["splits"]) == ["dev"]
    assert report["rating_kappa"] == pytest.approx(1 - 1 / 13)
    assert report["missed"] == {"validate_defense": 1}
    assert report["false_alarms"] == {"acknowledge_contribution": 1, "defensive": 1}


def test_with_every_line_labelled_each_split_gets_its_section(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = write_labels(
        tmp_path / "coder.jsonl",
        {"id": "x1", "moves": ["explore_rupture", "validate_defense"], "pitfalls": [], "rating": 5},
        {"id": "x2", "moves": [], "pitfalls": ["ignores_rupture"], "rating": 2},
        {"id": "x3", "moves": [], "pitfalls": ["ignores_rupture"], "rating": 2},
    )
    code, out, err = run(["--input", str(tiny), "--gold", "--labels", str(labels)], capsys)

    assert code == 0
    assert err == ""
    assert out.index("== dev (2 items") < out.index("== heldout (1 items") < out.index("== all (3")
    assert "macro-F1 over moves: 1.000" in out.split("== heldout")[0], "dev agrees exactly"


def test_labels_for_lines_not_in_the_input_are_reported_and_ignored(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = write_labels(
        tmp_path / "coder.jsonl",
        {"id": "x2", "moves": [], "pitfalls": ["ignores_rupture"], "rating": 2},
        {"id": "x9", "moves": [], "pitfalls": ["defensive"], "rating": 1},
    )
    code, out, err = run(["--input", str(tiny), "--gold", "--labels", str(labels)], capsys)

    assert code == 0
    assert out.startswith("== dev (1 items")
    assert err.splitlines() == [
        f"2 of 3 lines of {tiny} have no label in {labels}: measuring the other 1",
        f"1 labelled ids in {labels} are not among the lines read from {tiny}; ignored",
    ]


# ------------------------------------------------------------------ errors


GOOD = '{"id": "x1", "moves": [], "pitfalls": [], "rating": 2}'


@pytest.mark.parametrize(
    ("second_line", "message"),
    [
        ('{"id": "x2", "moves": []', "2: not valid JSON (Expecting ',' delimiter)"),
        ('{"id": "x2", "moves": [], "rating": 2}', "2: pitfalls: Field required"),
        ('{"moves": [], "pitfalls": [], "rating": 2}', "2: id: Field required"),
        ('{"id": "x2", "moves": [], "pitfalls": []}', "2: rating: Field required"),
        (
            '{"id": "x2", "moves": ["explore"], "pitfalls": [], "rating": 4}',
            "2: moves: 'explore' is not a canonical repair move id",
        ),
        (
            '{"id": "x2", "moves": ["defensive"], "pitfalls": [], "rating": 1}',
            "2: moves: 'defensive' is not a canonical repair move id",
        ),
        (
            '{"id": "x2", "moves": [], "pitfalls": ["ignores"], "rating": 2}',
            "2: pitfalls: 'ignores' is not a canonical pitfall id",
        ),
        (
            '{"id": "x2", "moves": [], "pitfalls": [], "rating": 6}',
            "2: rating: Input should be less than or equal to 5",
        ),
        (
            '{"id": "x1", "moves": [], "pitfalls": [], "rating": 2}',
            "2: id: 'x1' is already labelled on line 1",
        ),
    ],
)
def test_a_bad_labels_line_is_named_with_its_line_and_field(
    tiny: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    second_line: str,
    message: str,
) -> None:
    labels = tmp_path / "coder.jsonl"
    labels.write_text(f"{GOOD}\n{second_line}\n", encoding="utf-8")
    code, out, err = run(["--input", str(tiny), "--gold", "--labels", str(labels)], capsys)

    assert code == 2
    assert out == ""
    assert err == f"error: {labels}:{message}\n"


def test_a_missing_labels_file_is_an_error(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.jsonl"
    code, out, err = run(["--input", str(tiny), "--gold", "--labels", str(missing)], capsys)

    assert code == 2
    assert out == ""
    assert err == f"error: cannot read {missing}: No such file or directory\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--gold", "--judge", "rules"],
            "--labels takes the labels from FILE instead of a judge: drop --judge",
        ),
        (
            ["--gold", "--output", "out.jsonl"],
            "--labels only measures labels that exist: drop --output",
        ),
        ([], "--labels measures against the gold labels: add --gold"),
    ],
)
def test_labels_with_a_judge_an_output_or_without_gold_is_a_usage_error(
    tiny: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--input", str(tiny), "--labels", str(SECOND_CODER), *extra])

    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("usage: python -m bot evaluate")
    assert captured.err.endswith(f"python -m bot evaluate: error: {message}\n")
