"""A session survives a bot restart: its state is in the database, not in memory."""

from __future__ import annotations

import html
import logging
from pathlib import Path

import pytest

from bot.domain.engine import PatientReply, PatientTurnRequest
from bot.domain.ids import Speaker
from bot.patients.scripted import ScriptedPatient
from tests.telegram_kit import rig
from tests.test_telegram_practice import DEFENSIVE, META, PERSONA, VALIDATE

SECRET = "my supervisor is Dr Example and I feel"


class CrashingPatient:
    """Dies on its `crash_on`-th answer, as a process killed mid-turn would."""

    name = "scripted"
    calls_model = False

    def __init__(self, crash_on: int) -> None:
        self.calls = 0
        self.crash_on = crash_on
        self.inner = ScriptedPatient()

    async def respond(self, request: PatientTurnRequest) -> PatientReply:
        self.calls += 1
        if self.calls == self.crash_on:
            raise RuntimeError(f"killed while answering {request.history[-1].text!r}")
        return await self.inner.respond(request)


def patient(text: str) -> str:
    return "<b>Daniel:</b> " + html.escape(text, quote=False)


async def test_a_restart_mid_session_continues_where_it_stopped(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        await r.say(DEFENSIVE)
        user = await r.trainee()
        before = await r.practice.active(user.id)
        assert before is not None

        await r.restart()
        mark = r.tg.mark()
        await r.say(META)
        after = await r.practice.active(user.id)
        assert after is not None
        assert after.id == before.id
        assert [t.speaker for t in after.turns] == [
            Speaker.PATIENT,
            Speaker.TRAINEE,
            Speaker.PATIENT,
            Speaker.TRAINEE,
            Speaker.PATIENT,
        ]
        assert r.tg.texts_since(mark) == [patient(after.turns[-1].text)]


async def test_a_turn_cut_off_by_a_crash_is_completed_after_the_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with rig(tmp_path, patient=CrashingPatient(crash_on=2)) as r:
        await r.consent()
        await r.start_session(PERSONA)
        await r.say(DEFENSIVE)
        mark = r.tg.mark()
        with caplog.at_level(logging.ERROR):
            await r.say(f"{META} {SECRET}")
        assert r.tg.texts_since(mark) == [r.texts.error]
        assert "RuntimeError" in caplog.text
        assert SECRET not in caplog.text

        user = await r.trainee()
        cut_off = await r.practice.active(user.id)
        assert cut_off is not None
        assert cut_off.turns[-1].speaker is Speaker.TRAINEE
        assert cut_off.turns[-1].evaluation is None  # the rule judge's is stored with the answer

        await r.restart(patient=ScriptedPatient())
        mark = r.tg.mark()
        await r.say(VALIDATE)
        session = await r.practice.active(user.id)
        assert session is not None and session.id == cut_off.id
        owed, answer = session.turns[4], session.turns[6]
        assert owed.speaker is Speaker.PATIENT and answer.speaker is Speaker.PATIENT
        assert session.turns[5].text == VALIDATE
        assert r.tg.texts_since(mark) == [r.texts.resumed, patient(owed.text), patient(answer.text)]


async def test_end_after_a_crash_first_shows_the_line_the_patient_owed(tmp_path: Path) -> None:
    async with rig(tmp_path, patient=CrashingPatient(crash_on=2)) as r:
        await r.consent()
        await r.start_session(PERSONA)
        await r.say(DEFENSIVE)
        await r.say(META)  # the patient "dies" answering this one
        await r.restart(patient=ScriptedPatient())

        mark = r.tg.mark()
        await r.say("/end")
        user = await r.trainee()
        (newest, *_) = await r.practice.history(user.id)
        session = await r.practice.owned_session(user.id, newest.id)
        owed = session.turns[4]
        assert owed.speaker is Speaker.PATIENT and session.turns[3].text == META
        shown = r.tg.texts_since(mark)
        assert shown[:2] == [r.texts.resumed, patient(owed.text)]
        assert shown[2].startswith("<b>Feedback · The homework is pointless</b>")
        assert r.tg.since(mark)[-1].method == "sendPhoto"
