"""Pure pieces of the Telegram door: splitting, escaping, callback sizes, texts, the chart."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.charts import tension_chart
from bot.domain.content import ContentError
from bot.domain.feedback import Moment, SessionFeedback, Sighting
from bot.domain.ids import RepairStrategy
from bot.telegram.callbacks import (
    MAX_CALLBACK_BYTES,
    MAX_ID,
    ConsentAnswer,
    ConsentCb,
    HistoryCb,
    HistoryView,
    MenuCb,
    MenuItem,
    PersonaCb,
    ReplayCb,
    RuptureCb,
    RuptureChoice,
    WhatIfCb,
)
from bot.telegram.formatting import feedback_html, fill, snippet
from bot.telegram.split import split_message
from bot.telegram.texts import load_texts
from tests.telegram_kit import ROOT, catalog, texts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TAG = re.compile(r"</?([a-z-]+)[^>]*>")


def balanced(chunk: str) -> bool:
    stack: list[str] = []
    for match in TAG.finditer(chunk):
        name = match.group(1)
        if match.group(0).startswith("</"):
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def visible(html: str) -> str:
    return " ".join(TAG.sub("", html).split())


# --- split_message ------------------------------------------------------------------


def test_short_text_is_one_chunk_and_empty_text_none() -> None:
    assert split_message("Hello <b>there</b>") == ["Hello <b>there</b>"]
    assert split_message("x" * 4096) == ["x" * 4096]
    assert split_message("   \n ") == []


def test_splits_at_paragraph_before_line_before_sentence() -> None:
    para = "First paragraph line.\nSecond line of it."
    text = f"{para}\n\n{'y' * 60}"
    assert split_message(text, limit=64) == [para, "y" * 60]
    lines = "a" * 40 + "\n" + "b" * 40
    assert split_message(lines, limit=64) == ["a" * 40, "b" * 40]
    sentences = "One short sentence here. Another sentence follows it, rather longer."
    assert split_message(sentences, limit=64) == [
        "One short sentence here.",
        "Another sentence follows it, rather longer.",
    ]


def test_splits_at_spaces_and_cuts_words_only_when_it_must() -> None:
    words = " ".join(["word"] * 40)
    chunks = split_message(words, limit=64)
    assert all(len(c) <= 64 for c in chunks)
    assert all(not c.startswith(" ") and not c.endswith(" ") for c in chunks)
    assert " ".join(chunks) == words
    solid = "z" * 200
    assert split_message(solid, limit=64) == ["z" * 64, "z" * 64, "z" * 64, "z" * 8]


def test_tags_stay_balanced_and_are_reopened() -> None:
    text = "<b>" + " ".join(f"bold{i}" for i in range(60)) + "</b> tail"
    chunks = split_message(text, limit=80)
    assert len(chunks) > 3
    for chunk in chunks:
        assert len(chunk) <= 80
        assert balanced(chunk), chunk
    assert chunks[1].startswith("<b>")
    assert visible(" ".join(chunks)) == visible(text)


def test_never_cuts_inside_an_entity_or_a_tag() -> None:
    text = "&amp;" * 30 + '<a href="https://example.org/a-long-path">link text</a>' * 3
    chunks = split_message(text, limit=70)
    for chunk in chunks:
        assert len(chunk) <= 70
        assert balanced(chunk), chunk
        assert re.search(r"&[a-z]*$", chunk) is None, chunk
        assert re.search(r"<[^>]*$", chunk) is None, chunk
        assert not re.match(r"^[a-z]*;", chunk), chunk
    assert "".join(visible(c) for c in chunks).replace(" ", "") == visible(text).replace(" ", "")


def test_nested_tags_close_in_reverse_order() -> None:
    text = "<b>bold <i>" + "italic words " * 20 + "</i> more</b>"
    for chunk in split_message(text, limit=64):
        assert balanced(chunk), chunk


def test_telegram_limit_on_a_realistic_long_text() -> None:
    paragraph = "<b>Heading</b>\n" + "A sentence that says something. " * 40
    text = "\n\n".join([paragraph] * 12)
    chunks = split_message(text)
    assert len(chunks) > 1
    assert all(len(c) <= 4096 for c in chunks)
    assert all(c.startswith("<b>Heading</b>") for c in chunks)
    with pytest.raises(ValueError, match="at least 64"):
        split_message(text, limit=10)


# --- escaping and texts ---------------------------------------------------------------


def test_fill_escapes_values_and_keeps_braces_literal() -> None:
    assert fill("<b>{name}</b>", name="<i>&{{7*7}}") == "<b>&lt;i&gt;&amp;{{7*7}}</b>"
    assert snippet("  many   words " + "x" * 40, limit=20) == "many words xxxxxxxx…"


def test_feedback_html_escapes_everything_the_trainee_wrote() -> None:
    persona = catalog().personas["homework-pointless"]
    rubric = catalog().rubric_for("en")
    quote = "I see <b>&</b> {{7*7}}"
    feedback = SessionFeedback(
        persona_id=persona.id,
        language="en",
        end_reason="ended_by_trainee",
        resolution_rating=3,
        resolution_label="Partly resolved",
        moves=[Sighting(id="metacommunication", name="Metacommunication", turn=1, quote=quote)],
        pitfalls=[],
        best=Moment(turn=1, reply=quote, rating=4, note="<script>"),
        weakest=None,
        suggestion="Stay curious.",
        model_reply="What was that like?",
        suggested_move=RepairStrategy.EXPLORE_RUPTURE,
        tension=[7, 5],
        turn_moves=[["metacommunication"]],
    )
    html = feedback_html(texts(), rubric, persona, feedback)
    assert "I see &lt;b&gt;&amp;&lt;/b&gt; {{7*7}}" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert balanced(html)


def test_texts_file_has_every_key_and_a_missing_one_is_named(tmp_path: Path) -> None:
    loaded = load_texts(ROOT / "content")
    assert loaded.buttons.agree
    broken = tmp_path / "telegram.en.yaml"
    shutil.copy(ROOT / "content" / "telegram.en.yaml", broken)
    broken.write_text(
        re.sub(r"(?m)^voice_echo:.*\n", "", broken.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    with pytest.raises(ContentError, match=r"voice_echo: missing"):
        load_texts(tmp_path)


# --- callback data ----------------------------------------------------------------------


def test_every_callback_payload_fits_in_64_bytes() -> None:
    payloads = [
        *(ConsentCb(answer=a) for a in ConsentAnswer),
        *(MenuCb(item=i) for i in MenuItem),
        *(RuptureCb(kind=k) for k in RuptureChoice),
        *(PersonaCb(persona=p) for p in catalog().personas),
        PersonaCb(persona="p" * 48),
        WhatIfCb(session=MAX_ID),
        ReplayCb(session=MAX_ID, turn=1000),
        *(HistoryCb(session=MAX_ID, show=v) for v in HistoryView),
    ]
    for payload in payloads:
        assert len(payload.pack().encode()) <= MAX_CALLBACK_BYTES, payload


def test_forged_payloads_do_not_parse() -> None:
    for cls, data in (
        (PersonaCb, "p:../../etc"),
        (ReplayCb, "t:1:-3"),
        (ReplayCb, "t:abc:1"),
        (HistoryCb, "h:0:i"),
        (HistoryCb, "h:1:zz"),
        (RuptureCb, "r:everything"),
    ):
        with pytest.raises(ValueError):  # noqa: PT011 - pydantic or aiogram, both ValueError
            cls.unpack(data)


# --- the chart -----------------------------------------------------------------------


def test_tension_chart_is_a_png() -> None:
    feedback = SessionFeedback(
        persona_id="x",
        language="en",
        end_reason="resolved",
        resolution_rating=4,
        resolution_label="Mostly resolved",
        moves=[],
        pitfalls=[Sighting(id="defensive", name="Defensive", turn=1, quote="q")],
        best=None,
        weakest=None,
        suggestion="s",
        model_reply="m",
        suggested_move=RepairStrategy.METACOMMUNICATION,
        tension=[7, 8, 6, 4, 3],
        turn_moves=[[], ["metacommunication", "acknowledge_contribution"], ["explore_rupture"], []],
    )
    png = tension_chart(feedback, "The homework is pointless: tension")
    assert png.startswith(PNG_MAGIC)
    assert len(png) > 10_000
    assert tension_chart(feedback.model_copy(update={"tension": [7]}), "t").startswith(PNG_MAGIC)
