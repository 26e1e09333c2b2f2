"""Limits and safety: replies per minute, replies per day, the per-session turn cap, and
the crisis path in both directions."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.openai_llm import LLMPatient, make_client
from bot.domain.ids import Speaker
from bot.domain.templates import PromptRenderer
from bot.patients.scripted import ScriptedPatient
from bot.practice.limits import LimitReached, UsageLimits
from tests.fakes.openai_server import FakeOpenAI, FakeReply
from tests.reliability_kit import NEUTRAL, PERSONA, roomy_catalog, swap_practice
from tests.telegram_kit import ROOT, USER, Rig, rig
from tests.test_telegram_practice import META
from tests.test_telegram_security import snapshot

RATE_LIMITED = "You're replying very fast (3 replies within a minute)."


async def trainee_replies(r: Rig) -> list[str]:
    session = await r.practice.active((await r.trainee()).id)
    assert session is not None
    return [t.text for t in session.turns if t.speaker is Speaker.TRAINEE]


async def test_replies_beyond_the_rate_limit_are_refused_with_a_clear_message(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        practice = swap_practice(r, catalog=roomy_catalog(tmp_path))
        practice.limits = UsageLimits(per_minute=3)
        await r.consent()
        await r.start_session(PERSONA)
        for n in range(3):
            await r.say(f"{NEUTRAL} {n}")
        before = snapshot(r)
        mark = r.tg.mark()
        await r.say("One more.")
        (answer,) = r.tg.texts_since(mark)
        assert answer.startswith(RATE_LIMITED)
        assert "it wasn't stored" in answer
        assert snapshot(r) == before
        mark = r.tg.mark()
        await r.say("/hint")  # everything else still works
        assert r.tg.texts_since(mark)[0].startswith("💡 ")


async def test_the_daily_quota_stops_replies_and_says_when_it_resets(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        practice = swap_practice(r, catalog=roomy_catalog(tmp_path))
        practice.limits = UsageLimits(per_day=2)
        await r.consent()
        await r.start_session(PERSONA)
        await r.say(f"{NEUTRAL} 1")
        await r.say(f"{NEUTRAL} 2")
        mark = r.tg.mark()
        await r.say(META)
        (answer,) = r.tg.texts_since(mark)
        assert answer.startswith("You've reached today's limit of 2 practice replies.")
        assert "resets at midnight UTC" in answer and "/end" in answer
        assert await trainee_replies(r) == [f"{NEUTRAL} 1", f"{NEUTRAL} 2"]

        mark = r.tg.mark()
        await r.say("/end")  # feedback is still available
        assert r.tg.texts_since(mark)[0].startswith("<b>Feedback · The homework is pointless</b>")


class FixedCount:
    def __init__(self, count: int) -> None:
        self.count = count
        self.since: list[datetime] = []

    async def count_trainee_turns(self, user_id: int, since: Sequence[datetime]) -> list[int]:
        self.since.extend(since)
        return [self.count for _ in since]


async def test_the_quota_counts_from_utc_midnight_and_names_the_time_left() -> None:
    now = datetime(2025, 3, 1, 21, 15, tzinfo=UTC)
    counter = FixedCount(5)
    with pytest.raises(LimitReached, match="2 h 45 min from now") as caught:
        await UsageLimits(per_day=5).check(counter, 1, now)
    assert caught.value.code == "daily_quota"
    assert counter.since == [datetime(2025, 3, 1, tzinfo=UTC)]
    await UsageLimits().check(FixedCount(10_000), 1, now)  # 0 means no limit


async def test_the_turn_cap_ends_the_session_with_feedback(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        swap_practice(r, catalog=roomy_catalog(tmp_path, turn_limit=4))
        await r.consent()
        await r.start_session(PERSONA)
        for n in range(3):
            await r.say(f"{NEUTRAL} {n}")
        mark = r.tg.mark()
        await r.say(f"{NEUTRAL} 3")
        shown = r.tg.texts_since(mark)
        assert any(r.texts.session_ended.turn_limit in t for t in shown)
        assert r.tg.since(mark)[-1].method == "sendPhoto"
        mark = r.tg.mark()
        await r.say(f"{NEUTRAL} 4")
        assert r.tg.texts_since(mark) == [r.texts.no_session]


TRAINEE_CRISIS = (
    "Honestly I want to die, I can't do this course anymore",
    "I'm not role-playing anymore, I have been hurting myself",
)
PATIENT_DISTRESS = "Some days I just want to die. There, I said it. Happy now?"
REFLECTIONS = (
    "You said that some days you want to die. Can you tell me more about that?",
    "It sounds like part of you feels you can't go on. I'm glad you told me.",
)


async def test_a_trainee_in_real_crisis_pauses_the_role_play(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        for text in TRAINEE_CRISIS:
            before = snapshot(r)
            mark = r.tg.mark()
            await r.say(text)
            (shown,) = r.tg.texts_since(mark)
            assert shown.startswith("I've paused the role-play.")
            assert "988" in shown and "116 123" in shown
            assert snapshot(r) == before  # nothing of it stored in the practice session
        await r.start_session("klar-mach-ich")
        mark = r.tg.mark()
        await r.say("Ich will nicht mehr leben.")
        assert r.tg.texts_since(mark)[0].startswith("Ich habe das Rollenspiel angehalten.")


async def test_the_patients_distress_and_reflecting_it_do_not_trigger_the_crisis_path(
    tmp_path: Path,
) -> None:
    renderer = PromptRenderer(ROOT / "personas" / "templates")
    async with (
        FakeOpenAI() as ai,
        make_client(ai.base_url, "k", timeout_s=5, max_retries=0) as client,
        rig(tmp_path, patient=LLMPatient(client, "m", renderer, ScriptedPatient())) as r,
    ):
        await r.consent()
        await r.start_session(PERSONA)
        ai.enqueue(FakeReply.text(PATIENT_DISTRESS), *(FakeReply.text("Hm.") for _ in REFLECTIONS))
        mark = r.tg.mark()
        await r.say(META)
        assert r.tg.texts_since(mark) == [
            "<b>Daniel:</b> " + html.escape(PATIENT_DISTRESS, quote=False)
        ]
        for text in REFLECTIONS:
            mark = r.tg.mark()
            await r.say(text)
            # the patient answers (good reflections may also resolve the rupture: feedback)
            assert r.tg.texts_since(mark)[0] == "<b>Daniel:</b> Hm.", text
        user = await r.trainee()
        (newest, *_) = await r.practice.history(user.id)
        stored = await r.practice.owned_session(user.id, newest.id)
        replies = [t.text for t in stored.turns if t.speaker is Speaker.TRAINEE]
        assert replies == [META, *REFLECTIONS]  # all stored as practice, none as a crisis
        assert not any("paused the role-play" in t for t in r.tg.sent_texts(USER))
