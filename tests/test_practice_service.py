"""A practice session over a real database: turns stored step by step, nothing lost on a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.engine import PatientReply, PatientTurnRequest
from bot.domain.ids import Speaker, Stage
from bot.domain.state import hardened
from bot.judges.rules import RuleJudge
from bot.patients.scripted import ScriptedPatient
from bot.practice.records import EndReason, SessionStatus
from bot.practice.service import PracticeError
from tests.helpers import open_practice, persona

ACKNOWLEDGE = (
    "You're right, I jumped straight into explaining the method again instead of hearing "
    "how the sheets feel for you. That's on me."
)
METACOMMUNICATE = (
    "I notice that since I brought up the homework, things have felt tense between us. "
    "What is this like for you right now?"
)
DEFEND = "As I explained, the homework is evidence-based, so you need to do it."


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'practice.db'}"


async def test_a_session_stores_every_turn_with_state_and_evaluation(db_url: str) -> None:
    async with open_practice(db_url) as practice:
        user = await practice.store.get_or_create_user("terminal", "ana")
        view = await practice.start(user.id, "homework-pointless", seed=1)
        assert view.patient_line.startswith("Honestly? I didn't do it because it's pointless.")
        outcome = await practice.reply(user.id, ACKNOWLEDGE)
        assert outcome.evaluation is not None
        assert "acknowledge_contribution" in outcome.evaluation.moves
        assert outcome.state is not None and outcome.state.tension < 7
        session = await practice.store.get_session(view.session_id)
        assert session is not None
        assert [(t.index, t.speaker) for t in session.turns] == [
            (0, Speaker.PATIENT),
            (1, Speaker.TRAINEE),
            (2, Speaker.PATIENT),
        ]
        assert session.turns[1].text == ACKNOWLEDGE
        assert session.turns[1].evaluation == outcome.evaluation
        assert session.turns[2].text == outcome.patient_line
        assert session.turns[2].engine == "scripted"


async def test_defending_hardens_and_the_end_gives_feedback(db_url: str) -> None:
    async with open_practice(db_url) as practice:
        user = await practice.store.get_or_create_user("terminal", "ben")
        await practice.start(user.id, "homework-pointless", seed=2)
        outcome = await practice.reply(user.id, DEFEND)
        assert outcome.evaluation is not None
        assert "defensive" in outcome.evaluation.pitfalls
        assert outcome.state is not None and outcome.state.tension == 10  # +3 at most per turn
        strongest = hardened(outcome.evaluation)
        assert strongest is not None
        assert outcome.patient_line in persona().reactions[strongest]
        feedback = await practice.end(user.id)
        assert feedback.resolution_rating == 1
        assert "defensive" in {p.id for p in feedback.pitfalls}
        assert feedback.weakest is not None and feedback.weakest.reply == DEFEND
        assert feedback.suggested_move == "acknowledge_contribution"
        assert feedback.tension == [7, 10]
        assert await practice.active(user.id) is None
        (summary,) = await practice.history(user.id)
        assert summary.status is SessionStatus.FINISHED and summary.resolution_rating == 1


async def test_good_repair_resolves_the_rupture(db_url: str) -> None:
    async with open_practice(db_url) as practice:
        user = await practice.store.get_or_create_user("terminal", "cleo")
        await practice.start(user.id, "homework-pointless", seed=3)
        outcomes = [
            await practice.reply(user.id, text)
            for text in (ACKNOWLEDGE, METACOMMUNICATE, ACKNOWLEDGE)
        ]
        last = outcomes[-1]
        assert last.end_reason is EndReason.RESOLVED
        assert last.feedback is not None and last.feedback.resolution_rating >= 4
        assert last.state is not None and last.state.stage is Stage.VULNERABILITY
        with pytest.raises(PracticeError, match="no practice session running"):
            await practice.reply(user.id, "hello?")


async def test_user_mistakes_get_clear_errors_and_lose_nothing(db_url: str) -> None:
    async with open_practice(db_url) as practice:
        user = await practice.store.get_or_create_user("terminal", "dan")
        view = await practice.start(user.id, "homework-pointless", seed=4)
        with pytest.raises(PracticeError, match="Your reply is empty"):
            await practice.reply(user.id, "   ")
        with pytest.raises(PracticeError, match="That reply is 10000 characters long"):
            await practice.reply(user.id, "x" * 10_000)
        literal = await practice.reply(user.id, "{{7*7}} I hear you")
        session = await practice.store.get_session(view.session_id)
        assert session is not None and len(session.turns) == 3
        assert session.turns[1].text == "{{7*7}} I hear you"
        assert literal.patient_line
        with pytest.raises(PracticeError, match="There is no persona called 'nobody'"):
            await practice.start(user.id, "nobody")


async def test_crisis_pauses_and_stores_nothing(db_url: str) -> None:
    async with open_practice(db_url) as practice:
        user = await practice.store.get_or_create_user("terminal", "eve")
        view = await practice.start(user.id, "homework-pointless", seed=5)
        outcome = await practice.reply(
            user.id, "sorry, this is not about Daniel, I want to kill myself"
        )
        assert outcome.crisis_message is not None
        assert outcome.crisis_message.startswith("I've paused the role-play.")
        assert outcome.patient_line is None
        session = await practice.store.get_session(view.session_id)
        assert session is not None and len(session.turns) == 1


class CrashingPatient(ScriptedPatient):
    """Dies once, like a process killed between storing the reply and answering it."""

    def __init__(self) -> None:
        self.crashes = 1

    async def respond(self, request: PatientTurnRequest) -> PatientReply:
        if self.crashes:
            self.crashes -= 1
            raise RuntimeError("killed")
        return await super().respond(request)


async def test_a_crash_mid_turn_loses_nothing_and_the_next_message_continues(db_url: str) -> None:
    async with open_practice(db_url, patient=CrashingPatient()) as practice:
        user = await practice.store.get_or_create_user("terminal", "fay")
        view = await practice.start(user.id, "homework-pointless", seed=6)
        with pytest.raises(RuntimeError, match="killed"):
            await practice.reply(user.id, ACKNOWLEDGE)
    async with open_practice(db_url) as restarted:
        session = await restarted.store.get_session(view.session_id)
        assert session is not None
        assert [t.speaker for t in session.turns] == [Speaker.PATIENT, Speaker.TRAINEE]
        # the rule judge calls no model: its evaluation is stored with the patient's answer
        assert session.turns[1].evaluation is None
        outcome = await restarted.reply(user.id, METACOMMUNICATE)
        assert len(outcome.recovered_lines) == 1
        session = await restarted.store.get_session(view.session_id)
        assert session is not None
        assert session.turns[1].evaluation is not None
        assert [t.speaker for t in session.turns] == [Speaker.PATIENT, Speaker.TRAINEE] * 2 + [
            Speaker.PATIENT
        ]
        assert session.turns[1].text == ACKNOWLEDGE and session.turns[3].text == METACOMMUNICATE


class ModelBackedJudge(RuleJudge):
    """The rule judge's answers, but marked as waiting for a model server."""

    calls_model = True


async def test_a_model_judge_evaluation_is_stored_before_the_patient_answers(db_url: str) -> None:
    async with open_practice(db_url, patient=CrashingPatient()) as practice:
        practice.judge = ModelBackedJudge(practice.catalog.rubrics)
        user = await practice.store.get_or_create_user("terminal", "fin")
        view = await practice.start(user.id, "homework-pointless", seed=6)
        with pytest.raises(RuntimeError, match="killed"):
            await practice.reply(user.id, ACKNOWLEDGE)
        session = await practice.store.get_session(view.session_id)
        assert session is not None
        assert [t.speaker for t in session.turns] == [Speaker.PATIENT, Speaker.TRAINEE]
        assert session.turns[1].evaluation is not None  # a second model call is not needed
        assert session.turns[1].state is not None


async def test_replay_restores_the_state_before_the_chosen_turn(db_url: str) -> None:
    async with open_practice(db_url) as practice:
        user = await practice.store.get_or_create_user("terminal", "gus")
        first = await practice.start(user.id, "homework-pointless", seed=7)
        await practice.reply(user.id, ACKNOWLEDGE)
        await practice.reply(user.id, DEFEND)
        await practice.end(user.id)
        original = await practice.owned_session(user.id, first.session_id)
        replay = await practice.replay(user.id, first.session_id, from_turn=2)
        assert replay.replay_of == first.session_id
        assert replay.patient_line == original.turns[2].text
        assert replay.state == original.turns[1].state
        outcome = await practice.reply(user.id, METACOMMUNICATE)
        assert outcome.state is not None and outcome.state.tension < replay.state.tension
        other = await practice.store.get_or_create_user("terminal", "intruder")
        with pytest.raises(PracticeError, match="doesn't exist or isn't yours"):
            await practice.replay(other.id, first.session_id, from_turn=1)
        with pytest.raises(PracticeError, match="between 1 and 2"):
            await practice.replay(user.id, first.session_id, from_turn=5)
