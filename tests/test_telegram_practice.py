"""The practice flow on Telegram: choosing, the patient's turns, /hint, /end and feedback."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest

from bot import charts
from bot.domain.ids import Speaker
from bot.practice.records import SessionStatus
from bot.practice.service import MAX_REPLY_CHARS
from bot.telegram import presenters
from bot.telegram.formatting import feedback_html, patient_line, session_header
from tests.fakes.telegram_server import FakeTelegram
from tests.telegram_kit import USER, Rig, catalog, rig
from tests.test_telegram_formatting import PNG_MAGIC, balanced

PERSONA = "homework-pointless"
DEFENSIVE = "Well, the thought record is evidence-based. You just need to actually do it."
META = (
    "I notice that since I brought up the homework things have felt tense between us. "
    "I think I pushed it on you without asking how it was for you, and that's on me."
)
VALIDATE = (
    "It makes sense that you'd be fed up with it. "
    "I wonder what it's like for you to sit here with me right now?"
)
ACKNOWLEDGE = (
    "I hear you. I was the one who kept explaining instead of listening. "
    "Can we look at what happened between us just now?"
)
TRICKY = "So you mean <b>& that {{7*7}} is all it's worth?"


async def patient_lines_since(r: Rig, mark: int) -> list[str]:
    prefix = "<b>Daniel:</b> "
    return [t.removeprefix(prefix) for t in r.tg.texts_since(mark) if t.startswith(prefix)]


async def test_choosing_a_rupture_type_shows_persona_cards(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.tap("🎭 Practise")
        choice = r.tg.last_message(USER)
        assert choice["text"] == r.texts.choose_rupture
        assert FakeTelegram.buttons(choice) == [
            [("Confrontation", "r:confrontation"), ("Withdrawal", "r:withdrawal")],
            [("Mixed", "r:mixed"), ("🎲 Surprise me", "r:surprise")],
            [("← Back", "m:menu")],
        ]
        await r.tap("Confrontation")
        cards = r.tg.last_message(USER)
        assert cards is choice  # edited in place, not a new message
        assert cards["text"] == (
            "<b>Choose a patient</b>\n\n"
            "<b>The homework is pointless</b> · ★\n"
            "Daniel didn't do the thought record again and says the whole thing is a waste "
            "of time.\n\n"
            "<b>It's not about my mother</b> · ★★\n"
            "Maya is furious at her boss. The therapist linked it to her mother, too early, "
            "and she is having none of it.\n\n"
            "<b>Tools, not talk</b> · ★★★\n"
            "Richard, a senior manager on stress leave, dictates the agenda, wants techniques "
            "and asks what he is paying for."
        )
        buttons = FakeTelegram.buttons(cards)
        assert buttons == [
            [("The homework is pointless · ★", "p:homework-pointless")],
            [("It's not about my mother · ★★", "p:not-my-mother")],
            [("Tools, not talk · ★★★", "p:tools-not-talk")],
            [("← Back", "m:practise")],
        ]
        assert all(len(data.encode()) <= 64 for row in buttons for _, data in row)

        await r.tap("← Back")
        await r.tap("Withdrawal")
        withdrawal = r.tg.last_message(USER)["text"]
        assert "<b>Sie machen das so gut</b> · ★★ · auf Deutsch\n" in withdrawal
        assert r.rows("practice_sessions") == 0


async def test_a_session_from_opening_through_turns_to_feedback(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        persona = r.practice.persona(PERSONA)
        header, opening = r.tg.sent_texts(USER)[-2:]
        assert header == session_header(r.texts, persona)
        assert header.startswith("<b>The homework is pointless</b>\nDaniel, 41 · CBT, session 6\n")
        assert opening == "<b>Daniel:</b> " + html.escape(persona.opening, quote=False)
        chosen = "You chose <b>The homework is pointless</b>."
        assert chosen in [m.get("text") for m in r.tg.messages(USER)]

        shown: list[str] = []
        for reply in (DEFENSIVE, META, TRICKY):
            mark = r.tg.mark()
            await r.say(reply)
            calls = r.tg.since(mark)
            # no model is called: the answer comes at once, without "typing…" first
            assert [c.method for c in calls] == ["sendMessage"]
            shown += await patient_lines_since(r, mark)

        user = await r.trainee()
        session = await r.practice.active(user.id)
        assert session is not None
        stored = [t for t in session.turns if t.speaker is Speaker.PATIENT][1:]
        assert shown == [html.escape(t.text, quote=False) for t in stored]
        for turn in stored:
            assert turn.state is not None
            pools = [*persona.lines[turn.state.stage].values(), *persona.reactions.values()]
            assert any(turn.text in pool for pool in pools), turn.text
        assert [t.text for t in session.turns if t.speaker is Speaker.TRAINEE] == [
            DEFENSIVE,
            META,
            TRICKY,
        ]

        mark = r.tg.mark()
        await r.say("/hint")
        hint = await r.practice.hint(user.id)
        assert r.tg.texts_since(mark) == ["💡 " + html.escape(hint, quote=False)]
        assert hint.startswith("Hint: ")

        mark = r.tg.mark()
        await r.say("/end")
        calls = r.tg.since(mark)
        assert calls[0].method == "sendChatAction"
        texts = [c.params["text"] for c in calls if c.method == "sendMessage"]
        finished = await r.practice.owned_session(user.id, session.id)
        assert finished.status is SessionStatus.FINISHED
        feedback = await r.practice.feedback(user.id, session.id)
        expected = feedback_html(r.texts, catalog().rubric_for("en"), persona, feedback)
        assert "\n\n".join(texts) == expected
        assert texts[0].startswith("<b>Feedback · The homework is pointless</b>\nSession ended.")
        assert f"<b>Resolution: {feedback.resolution_rating}/5</b>" in texts[0]
        assert (
            "• <b>Metacommunication</b> (Turn 2): <i>“I notice that since I brought up the "
            "homework things have felt tense between us.”</i>"
        ) in expected
        assert "<i>“So you mean &lt;b&gt;&amp; that {{7*7}} is all it's worth?”</i>" in expected
        assert "<b>&" not in expected and "49" not in expected

        photo = calls[-1]
        assert photo.method == "sendPhoto"
        assert photo.files["photo"].content.startswith(PNG_MAGIC)
        assert photo.params["caption"] == r.texts.chart_caption
        assert FakeTelegram.buttons(r.tg.last_message(USER)) == [
            [("🔁 What if…", f"w:{session.id}")],
            [("🎭 Practise again", "m:practise"), ("☰ Menu", "m:menu")],
        ]

        mark = r.tg.mark()
        await r.say("Are you still there?")
        assert r.tg.texts_since(mark) == [r.texts.no_session]


async def test_the_same_seed_gives_the_same_patient(tmp_path: Path) -> None:
    runs: list[list[str]] = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        async with rig(tmp_path / name) as r:
            await r.consent()
            await r.start_session(PERSONA)
            mark = r.tg.mark()
            for reply in (DEFENSIVE, META, VALIDATE):
                await r.say(reply)
            runs.append(await patient_lines_since(r, mark))
    assert runs[0] == runs[1]
    assert len(runs[0]) == 3


async def test_the_session_ends_by_itself_when_the_rupture_is_repaired(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        mark = r.tg.mark()
        for reply in (META, VALIDATE, ACKNOWLEDGE):
            await r.say(reply)
        methods = [c.method for c in r.tg.since(mark)]
        assert methods[-1] == "sendPhoto"
        texts = r.tg.texts_since(mark)
        feedback_start = next(i for i, t in enumerate(texts) if t.startswith("<b>Feedback"))
        assert texts[feedback_start].startswith(
            "<b>Feedback · The homework is pointless</b>\n" + r.texts.session_ended.resolved
        )
        assert len(await patient_lines_since(r, mark)) == 3
        assert await r.practice.active((await r.trainee()).id) is None


async def test_a_long_feedback_is_split_under_telegrams_limit(tmp_path: Path) -> None:
    filler = " And I want to be really careful here to say this fully and slowly."
    good = META + filler * ((MAX_REPLY_CHARS - len(META)) // len(filler))
    bad = DEFENSIVE + filler * ((MAX_REPLY_CHARS - len(DEFENSIVE)) // len(filler))
    assert len(good) <= MAX_REPLY_CHARS and len(bad) <= MAX_REPLY_CHARS
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        await r.say(bad)
        await r.say(good)
        mark = r.tg.mark()
        await r.say("/end")
        texts = r.tg.texts_since(mark)
        assert len(texts) >= 2
        assert all(len(t) <= 4096 for t in texts)
        assert all(balanced(t) for t in texts)
        assert r.tg.since(mark)[-1].method == "sendPhoto"


async def test_a_reply_that_is_too_long_is_refused_plainly(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        mark = r.tg.mark()
        await r.say("<i>" + "x" * MAX_REPLY_CHARS)
        texts = r.tg.texts_since(mark)
        assert len(texts) == 1
        assert texts[0].startswith(f"That reply is {MAX_REPLY_CHARS + 3} characters long")
        assert "Traceback" not in texts[0]
        session = await r.practice.active((await r.trainee()).id)
        assert session is not None and len(session.turns) == 1


async def test_crisis_words_pause_the_role_play(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        mark = r.tg.mark()
        await r.say("Honestly I want to die, I can't do this course anymore")
        texts = r.tg.texts_since(mark)
        assert len(texts) == 1
        assert texts[0].startswith("I've paused the role-play.")
        assert "&amp;" in texts[0]  # "Samaritans (UK & IE)" arrives escaped
        mark = r.tg.mark()
        await r.say(META)
        assert len(await patient_lines_since(r, mark)) == 1


async def test_surprise_me_starts_a_session_with_some_persona(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.tap("🎭 Practise")
        await r.tap("🎲 Surprise me")
        session = await r.practice.active((await r.trainee()).id)
        assert session is not None
        persona = r.practice.persona(session.persona_id)
        assert r.tg.sent_texts(USER)[-1] == patient_line(r.texts, persona, persona.opening)


async def test_starting_again_closes_the_unfinished_session(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        await r.say(META)
        await r.start_session("not-my-mother")
        assert r.texts.replaced_session in r.tg.sent_texts(USER)
        sessions = await r.practice.history((await r.trainee()).id)
        assert [s.status for s in sessions] == [SessionStatus.ACTIVE, SessionStatus.FINISHED]


async def test_hint_and_end_without_a_session(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        for command in ("/hint", "/end"):
            mark = r.tg.mark()
            await r.say(command)
            assert r.tg.texts_since(mark) == [r.texts.no_session]


async def test_a_german_sessions_chart_speaks_german(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[tuple[str, str, str]] = []
    real_chart = charts.tension_chart

    def spy(feedback: Any, title: str, *, turn_label: str, tension_label: str) -> bytes:
        drawn.append((title, turn_label, tension_label))
        return real_chart(feedback, title, turn_label=turn_label, tension_label=tension_label)

    monkeypatch.setattr(presenters, "tension_chart", spy)
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session("klar-mach-ich")
        await r.say("Ich merke, dass ich gerade ziemlich schnell weitergemacht habe.")
        mark = r.tg.mark()
        await r.say("/end")
        assert r.tg.since(mark)[-1].method == "sendPhoto"
    (title, turn, tension) = drawn[0]
    assert (turn, tension) == ("Runde", "Anspannung")
    assert title.endswith(": anspannung")
