"""Exports: `python -m bot export` writes HTML, PDF and Markdown with the right turns,
pseudonymised unless asked; the Telegram button sends the file to the session's owner."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.__main__ import main
from tests.cohort_kit import TRAINEE, cohort_rig
from tests.helpers import open_practice
from tests.test_telegram_formatting import PNG_MAGIC

IGNORE = "Let's get back to the worksheet, we have a lot to cover."
META = (
    "I notice that since I brought up the homework things have felt tense between us. "
    "I think I pushed it on you without asking how it was for you, and that's on me."
)
TRICKY = "So you mean <b>& that {{7*7}} is all it's worth?"


async def practised(database_url: str) -> tuple[int, list[str]]:
    """A finished session over the CLI's database; returns its id and the patient lines."""
    async with open_practice(database_url) as practice:
        user = await practice.store.get_or_create_user("telegram", "4242")
        view = await practice.start(user.id, "homework-pointless", seed=3)
        lines = [view.patient_line]
        for reply in (IGNORE, TRICKY, META):
            outcome = await practice.reply(user.id, reply)
            assert outcome.patient_line is not None
            lines.append(outcome.patient_line)
        await practice.end(user.id)
        return view.session_id, lines


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_html_export_has_every_turn_escaped_and_the_chart(
    tmp_path: Path, database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id, _ = asyncio.run(practised(database))
    target = tmp_path / "out.html"

    assert main(["export", str(session_id), "--format", "html", "--out", str(target)]) == 0

    html = target.read_text()
    assert f"Wrote {target}" in capsys.readouterr().out
    positions = [html.index(t.replace("'", "&#39;")) for t in (IGNORE, META)]
    assert positions == sorted(positions)
    assert "So you mean &lt;b&gt;&amp; that {{7*7}} is all it&#39;s worth?" in html
    assert "<b>&" not in html and "that 49" not in html  # escaped, never run as a template
    assert html.count('class="turn trainee"') == 3
    assert html.count('class="turn patient"') == 4
    assert "trainee: Trainee" in html and "4242" not in html  # pseudonymised
    assert 'src="data:image/png;base64,' in html
    assert "Pitfalls: Ignoring the rupture" in html  # the annotations
    assert "Tension: 7 → 9 · anger" in html


def test_pdf_export_is_a_readable_pdf_with_the_right_turns(
    tmp_path: Path, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    session_id, lines = asyncio.run(practised(database))
    caplog.set_level(logging.INFO)
    target = tmp_path / "out.pdf"

    assert main(["export", str(session_id), "--format", "pdf", "--out", str(target)]) == 0

    content = target.read_bytes()
    assert content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    for turn in (IGNORE, META, lines[0][:40]):
        assert " ".join(turn.split())[:40] in text
    assert text.index("worksheet") < text.index("I notice")
    assert "trainee: Trainee" in text
    assert len(reader.pages) >= 2  # the transcript, then the chart
    assert not [r for r in caplog.records if r.name.startswith("fontTools")]  # no glyph lists


def test_markdown_export_writes_the_chart_beside_it_and_real_names_on_request(
    tmp_path: Path, database: str
) -> None:
    session_id, _ = asyncio.run(practised(database))
    target = tmp_path / "session.md"

    args = ["export", str(session_id), "--format", "md", "--out", str(target)]
    assert main([*args, "--real-names"]) == 0

    md = target.read_text()
    assert "trainee: telegram user 4242" in md
    assert md.count("**telegram user 4242 (") == 3
    assert "So you mean \\<b\\>& that \\{\\{7\\*7\\}\\} is all it's worth?" in md
    assert "![Tension over the session](session-tension.png)" in md
    assert (tmp_path / "session-tension.png").read_bytes().startswith(PNG_MAGIC)


def test_an_unknown_session_is_explained(
    tmp_path: Path, database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "999", "--format", "pdf", "--out", str(tmp_path / "x.pdf")]) == 2
    assert "there is no session 999" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


async def test_the_export_button_sends_the_owner_a_pseudonymised_pdf(tmp_path: Path) -> None:
    async with cohort_rig(tmp_path) as c:
        await c.r.consent(TRAINEE)
        await c.r.start_session("homework-pointless", TRAINEE)
        await c.say(META, TRAINEE)
        await c.say("/end", TRAINEE)
        await c.say("/history", TRAINEE)
        label = c.last(TRAINEE)["reply_markup"]["inline_keyboard"][0][0]["text"]
        await c.tap(label, TRAINEE)

        mark = c.r.tg.mark()
        await c.tap("📄 PDF", TRAINEE)
        (call,) = c.r.tg.since(mark, "sendDocument")
        upload = call.files["document"]
        assert upload.filename.endswith(".pdf")
        text = " ".join(
            (page.extract_text() or "") for page in PdfReader(io.BytesIO(upload.content)).pages
        )
        assert "trainee: Trainee" in " ".join(text.split())
        assert "Alex" not in text

        mark = c.r.tg.mark()
        await c.tap("📄 PDF with my name", TRAINEE)
        (call,) = c.r.tg.since(mark, "sendDocument")
        text = " ".join(
            (page.extract_text() or "")
            for page in PdfReader(io.BytesIO(call.files["document"].content)).pages
        )
        assert "trainee: Alex" in " ".join(text.split())

        mark = c.r.tg.mark()
        await c.tap("🌐 HTML", TRAINEE)
        (call,) = c.r.tg.since(mark, "sendDocument")
        assert call.files["document"].content.startswith(b"<!doctype html>")
