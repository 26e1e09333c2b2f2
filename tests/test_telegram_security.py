"""Forged or foreign button payloads: a short alert, and nothing changes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.telegram_kit import OTHER_USER, USER, Rig, rig
from tests.test_telegram_replay import finished_session

NOT_YOURS = "That session doesn't exist or isn't yours."


def snapshot(r: Rig) -> dict[str, list[Any]]:
    with sqlite3.connect(r.database_file) as db:
        return {
            table: db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()  # noqa: S608
            for table in ("users", "practice_sessions", "turns")
        }


async def forged(r: Rig, user: int, data: str) -> dict[str, Any]:
    """Send a tap with arbitrary callback data; returns the callback answer's parameters."""
    mark = r.tg.mark()
    await r.send(r.tg.callback(user, data, r.tg.last_message(user)))
    calls = r.tg.since(mark)
    assert [c.method for c in calls] == ["answerCallbackQuery"], [c.method for c in calls]
    return calls[0].params


async def test_another_users_session_is_refused(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        session_id = await finished_session(r)
        await r.consent(OTHER_USER)
        await r.start_session("not-my-mother", OTHER_USER)
        before = snapshot(r)
        for data in (
            f"w:{session_id}",
            f"t:{session_id}:2",
            f"h:{session_id}:i",
            f"h:{session_id}:f",
            f"h:{session_id}:x",
            "h:999999:i",
        ):
            answer = await forged(r, OTHER_USER, data)
            assert answer["text"] == NOT_YOURS, data
            assert answer["show_alert"] is True
        assert snapshot(r) == before


async def test_malformed_and_unknown_payloads_change_nothing(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        session_id = await finished_session(r)
        before = snapshot(r)
        for data in ("zz:1", "t:abc:1", f"t:{session_id}:-1", "p:../../x", "h:0:i", "r:all", ""):
            answer = await forged(r, USER, data)
            assert answer == {
                "callback_query_id": answer["callback_query_id"],
                "text": r.texts.button_refused,
                "show_alert": True,
            }, data
        answer = await forged(r, USER, "p:nobody-here")
        assert answer["text"] == "There is no persona called 'nobody-here'."
        answer = await forged(r, USER, f"t:{session_id}:9")
        assert answer["text"] == "Choose a turn between 1 and 3."
        assert snapshot(r) == before


async def test_buttons_from_strangers_store_nothing(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        session_id = await finished_session(r)
        before = snapshot(r)
        await r.say("/start", OTHER_USER)
        for data in (f"t:{session_id}:1", "p:homework-pointless", "m:practise"):
            answer = await forged(r, OTHER_USER, data)
            assert answer["text"] == r.texts.consent_required
        assert snapshot(r) == before


async def test_group_chats_are_left_alone(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        group = {"id": -100123, "type": "supergroup", "title": "Peer group"}
        await r.send(r.tg.text(USER, "/start", chat=group))
        await r.send(r.tg.text(USER, "hello everyone", chat=group))
        assert r.tg.calls == []
        assert r.rows("users") == 0
