"""Hostile or odd input from a chat: huge, empty, control characters, right-to-left text,
emoji, template syntax, forged buttons, and persona files built to hurt the bot.

(Another user's session id and malformed callback payloads are in
test_telegram_security.py; commands reserved for trainers come with the trainer roles.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from bot.domain.catalog import load_catalog
from bot.domain.ids import Speaker
from bot.judges.rules import RuleJudge
from bot.patients.scripted import ScriptedPatient
from tests.reliability_kit import swap_practice
from tests.telegram_kit import OTHER_USER, ROOT, USER, Rig, rig
from tests.test_telegram_practice import META, PERSONA
from tests.test_telegram_security import forged, snapshot

RTL = "אני שומע שזה מתסכל אותך. ما الذي يحدث بيننا الآن؟"
EMOJI = "I hear you 🙏🏽 — that sounds exhausting 😔👨‍👩‍👧"
TEMPLATE = "So {{7*7}} and {% for x in range(3) %}x{% endfor %} is what you think?"


async def trainee_texts(r: Rig) -> list[str]:
    session = await r.practice.active((await r.trainee()).id)
    assert session is not None
    return [t.text for t in session.turns if t.speaker is Speaker.TRAINEE]


async def test_a_ten_thousand_character_message_is_refused_plainly(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        before = snapshot(r)
        mark = r.tg.mark()
        await r.say("I hear you. " + "x" * 9988)
        (answer,) = r.tg.texts_since(mark)
        assert answer.startswith("That reply is 10000 characters long; please keep it under 2000")
        assert "Traceback" not in answer
        assert snapshot(r) == before


async def test_empty_and_invisible_replies_are_refused_without_storing(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        before = snapshot(r)
        for text in ("   ", "\x00\x07\x1b", " \t \n "):
            mark = r.tg.mark()
            await r.say(text)
            assert r.tg.texts_since(mark) == [
                "Your reply is empty. Write what you would say to the patient."
            ], repr(text)
        assert snapshot(r) == before


async def test_control_characters_are_dropped_and_the_rest_is_kept(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        await r.say("I hear\x00 you.\x07 What is\x1b[31m this like\x7f for you?\r")
        assert await trainee_texts(r) == ["I hear you. What is[31m this like for you?"]


async def test_rtl_text_emoji_and_template_syntax_arrive_and_stay_literal(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        for text in (RTL, EMOJI, TEMPLATE):
            mark = r.tg.mark()
            await r.say(text)
            shown = r.tg.texts_since(mark)
            assert len(shown) == 1 and shown[0].startswith("<b>Daniel:</b> "), text
        assert await trainee_texts(r) == [RTL, EMOJI, TEMPLATE]

        session = await r.practice.active((await r.trainee()).id)
        assert session is not None
        await r.say("/end")
        mark = r.tg.mark()
        await r.send(r.tg.callback(USER, f"h:{session.id}:x"))
        (call,) = r.tg.since(mark, "sendDocument")
        transcript = call.files["document"].content.decode()
        for text in (RTL, EMOJI, TEMPLATE):
            assert f"You: {text}\n" in transcript
        rendered = TEMPLATE.replace("{{7*7}}", "49").replace(
            "{% for x in range(3) %}x{% endfor %}", "xxx"
        )
        assert "So 49 and" not in transcript and "xxx is what" not in transcript
        assert rendered not in transcript  # (the header's time may contain "49")
        assert not any("49" in t or "xxx" in t for t in r.tg.sent_texts(USER))


async def test_forged_forget_buttons_erase_nothing_of_anyone_else(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        await r.say(META)
        await r.say("/start", OTHER_USER)  # a stranger who never consented
        before = snapshot(r)
        answer = await forged(r, OTHER_USER, "d:y")
        assert answer["text"] == r.texts.consent_required
        for data in ("d:maybe", "d:y:extra", "d:" + "y" * 80, "d:\x00"):
            answer = await forged(r, USER, data)
            assert answer["text"] == r.texts.button_refused, data
        assert snapshot(r) == before


def hostile_personas(tmp_path: Path) -> Path:
    """The shipped personas plus four files built to break the bot."""
    folder = tmp_path / "personas"
    shutil.copytree(ROOT / "personas", folder)
    base = yaml.safe_load((folder / f"{PERSONA}.yaml").read_text())
    attacks = {
        "escape": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "range-bomb": "{% for i in range(10**9) %}x{% endfor %}",
        "string-bomb": "{{ 'ha' * 10**9 }}",
        "undefined": "{{ patient.secret_password }}",
    }
    for persona_id, body in attacks.items():
        data = {**base, "id": persona_id, "system_template": f"{persona_id}.j2"}
        (folder / f"{persona_id}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
        (folder / "templates" / f"{persona_id}.j2").write_text(
            '{% extends "base.j2" %}{% block extra %}' + body + "{% endblock %}"
        )
    return folder


async def test_hostile_persona_templates_are_refused_and_the_bot_keeps_serving(
    tmp_path: Path,
) -> None:
    folder = hostile_personas(tmp_path)
    catalog = load_catalog(folder, ROOT / "rubrics")
    problems = "\n".join(str(p) for p in catalog.problems)
    for persona_id, reason in (
        ("escape", "sandbox violation"),
        ("range-bomb", "exceeds the limit"),
        ("string-bomb", "repetition too large"),
        ("undefined", "has no attribute 'secret_password'"),
    ):
        assert f"{folder / persona_id}.yaml: system_template: {persona_id}.j2" in problems
        assert reason in problems, persona_id
        assert catalog.persona(persona_id) is None
    async with rig(tmp_path) as r:
        swap_practice(
            r,
            catalog=catalog,
            patient=ScriptedPatient(),
            judge=RuleJudge(catalog.rubrics),
        )
        await r.consent()
        await r.start_session(PERSONA)
        mark = r.tg.mark()
        await r.say(META)
        assert r.tg.texts_since(mark)[0].startswith("<b>Daniel:</b> ")
