"""Replaying a finished session from an earlier turn ("What if…")."""

from __future__ import annotations

import html
from pathlib import Path

from bot.domain.ids import Speaker
from bot.practice.records import SessionStatus
from tests.fakes.telegram_server import FakeTelegram
from tests.telegram_kit import USER, Rig, rig
from tests.test_telegram_practice import ACKNOWLEDGE, DEFENSIVE, META, PERSONA, TRICKY


async def finished_session(r: Rig) -> int:
    await r.consent()
    return await play_and_end(r)


async def play_and_end(r: Rig) -> int:
    """Three replies to the homework persona, then /end; returns the session id."""
    await r.start_session(PERSONA)
    for reply in (DEFENSIVE, META, TRICKY):
        await r.say(reply)
    user = await r.trainee()
    active = await r.practice.active(user.id)
    assert active is not None
    await r.say("/end")
    return active.id


async def test_what_if_lists_the_replies_to_try_again(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        session_id = await finished_session(r)
        mark = r.tg.mark()
        await r.tap("🔁 What if…")
        assert r.tg.texts_since(mark) == [r.texts.what_if_prompt]
        assert FakeTelegram.buttons(r.tg.last_message(USER)) == [
            [("Turn 1: Well, the thought record is…", f"t:{session_id}:1")],
            [("Turn 2: I notice that since I broug…", f"t:{session_id}:2")],
            [("Turn 3: So you mean <b>& that {{7*7…", f"t:{session_id}:3")],
        ]


async def test_replay_from_turn_two_restores_the_patient(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        session_id = await finished_session(r)
        user = await r.trainee()
        original = await r.practice.owned_session(user.id, session_id)
        await r.tap("🔁 What if…")
        what_if_message = r.tg.last_message(USER)
        mark = r.tg.mark()
        await r.tap("Turn 2: I notice that since I broug…")

        line_before_turn_2 = original.turns[2]
        assert line_before_turn_2.speaker is Speaker.PATIENT
        assert r.tg.texts_since(mark) == [
            r.texts.what_if_started.format(turn=2),
            "<b>Daniel:</b> " + html.escape(line_before_turn_2.text, quote=False),
        ]
        assert "reply_markup" not in what_if_message

        replay = await r.practice.active(user.id)
        assert replay is not None
        assert replay.id != session_id
        assert replay.replay_of == session_id
        assert replay.replay_from_turn == 2
        assert [t.text for t in replay.turns] == [t.text for t in original.turns[:3]]
        state_after_turn_1 = original.turns[1].state
        assert state_after_turn_1 is not None
        assert replay.turns[-1].state == state_after_turn_1

        mark = r.tg.mark()
        await r.say(ACKNOWLEDGE)
        assert len([t for t in r.tg.texts_since(mark) if t.startswith("<b>Daniel:</b>")]) == 1
        replay = await r.practice.active(user.id)
        assert replay is not None
        assert replay.turns[3].text == ACKNOWLEDGE
        untouched = await r.practice.owned_session(user.id, session_id)
        assert untouched.status is SessionStatus.FINISHED
        assert untouched.turns == original.turns
