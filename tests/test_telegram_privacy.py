"""Privacy: /mydata, /forget, the retention purge (command and running bot), and transcript
text kept out of the logs."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.__main__ import main
from bot.domain.ids import Speaker
from bot.learning.models import ModuleId, Noticed, RecognitionFamily
from bot.learning.records import DrillAttempt
from bot.practice.privacy import EXPORT_FORMAT, purge_expired
from bot.storage import SqlLearningStore
from bot.telegram.app import app_dispatcher, create_bot
from bot.wiring import open_app
from tests.fakes.telegram_server import FakeTelegram
from tests.telegram_kit import OTHER_USER, USER, Rig, rig, settings_for, texts
from tests.test_telegram_model_faults import model_rig
from tests.test_telegram_practice import DEFENSIVE, META, PERSONA
from tests.test_telegram_replay import finished_session, play_and_end
from tests.test_telegram_security import snapshot

MINE = "I keep thinking of my own supervisor, Dr Quillfeather, while we talk."
THEIRS = "Only the other trainee ever wrote this sentence."


async def my_data(r: Rig, user: int = USER) -> dict[str, object]:
    mark = r.tg.mark()
    await r.say("/mydata", user)
    (call,) = r.tg.since(mark, "sendDocument")
    assert call.files["document"].filename == "rupture-coach-my-data.json"
    assert call.params["caption"] == r.texts.mydata_caption
    document: dict[str, object] = json.loads(call.files["document"].content.decode())
    return document


async def test_mydata_sends_everything_stored_about_the_user_and_nothing_else(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        session_id = await finished_session(r)
        await r.start_session(PERSONA)
        await r.say(MINE)
        await r.consent(OTHER_USER)
        await r.start_session(PERSONA, OTHER_USER)
        await r.say(THEIRS, OTHER_USER)
        user = await r.trainee()
        await SqlLearningStore(r.engine).add_drill_attempt(
            DrillAttempt(
                user_id=user.id,
                module_id=ModuleId.WITHDRAWAL,
                drill_id="wd-d01",
                noticed=Noticed.WITHDRAWAL_RUPTURE,
                detail="denial",
                noticed_correct=True,
                detail_correct=True,
                correct=True,
                family=RecognitionFamily.WITHDRAWAL,
                target="denial",
                created_at=datetime.now(UTC),
            )
        )

        document = await my_data(r)
        assert document["format"] == EXPORT_FORMAT
        assert document["user"] == {
            **document["user"],  # type: ignore[dict-item]
            "external_id": str(USER),
            "consented": True,
            "active": True,
        }
        sessions = document["sessions"]
        assert isinstance(sessions, list)
        assert sessions[0]["id"] == session_id
        assert sessions[0]["status"] == "finished" and sessions[0]["feedback"]
        replies = [t["text"] for s in sessions for t in s["turns"] if t["speaker"] == "trainee"]
        assert replies[-1] == MINE
        assert sessions[0]["turns"][1]["evaluation"]["rating"] >= 1
        learning = document["learning"]
        assert isinstance(learning, dict)
        assert [a["drill_id"] for a in learning["drill_attempts"]] == ["wd-d01"]
        assert THEIRS not in json.dumps(document, ensure_ascii=False)


async def test_forget_asks_first_then_erases_rows_and_conversation_state(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await finished_session(r)
        await r.start_session(PERSONA)
        await r.say(MINE)
        await r.consent(OTHER_USER)
        await r.start_session(PERSONA, OTHER_USER)
        await r.say(THEIRS, OTHER_USER)
        key = StorageKey(bot_id=r.bot.id, chat_id=USER, user_id=USER)
        await r.dp.storage.set_data(key, {"draft": MINE})
        before = snapshot(r)

        mark = r.tg.mark()
        await r.say("/forget")
        question = r.tg.last_message(USER)
        assert r.tg.texts_since(mark) == [r.texts.forget_question]
        assert FakeTelegram.buttons(question) == [
            [(r.texts.buttons.forget_confirm, "d:y")],
            [(r.texts.buttons.forget_cancel, "d:n")],
        ]
        await r.tap(r.texts.buttons.forget_cancel)
        assert r.tg.sent_texts(USER)[-1] == r.texts.forget_kept
        assert snapshot(r) == before

        await r.say("/forget")
        await r.tap(r.texts.buttons.forget_confirm)
        assert r.tg.sent_texts(USER)[-1] == r.texts.forget_done
        assert FakeTelegram.buttons(r.tg.last_message(USER)) == []
        with sqlite3.connect(r.database_file) as db:
            users = db.execute("SELECT external_id FROM users").fetchall()
            texts_left = [row[0] for row in db.execute("SELECT text FROM turns")]
        assert users == [(str(OTHER_USER),)]
        assert THEIRS in texts_left and MINE not in texts_left
        assert await r.dp.storage.get_data(key) == {}

        mark = r.tg.mark()
        await r.say("Are you still there?")
        assert r.tg.texts_since(mark) == [r.texts.consent_required]


def backdate(database_file: Path, days: int) -> None:
    """Pretend every finished session ended `days` ago."""
    with sqlite3.connect(database_file) as db:
        db.execute(
            "UPDATE practice_sessions SET ended_at = ? WHERE status = 'finished'",
            ((datetime.now(UTC) - timedelta(days=days)).replace(tzinfo=None).isoformat(" "),),
        )


async def test_retention_purges_old_finished_sessions_only(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        old = await finished_session(r)
        await r.tap("🔁 What if…")
        await r.tap("Turn 2: I notice that since I broug…")  # a replay, still running
        await r.say(MINE)
        assert await purge_expired(r.store, 30) == 0
        backdate(r.database_file, 31)

        assert await purge_expired(r.store, 0) == 0  # 0: keep everything
        assert await purge_expired(r.store, 30) == 1
        user = await r.trainee()
        assert await r.store.get_session(old) is None
        replay = await r.practice.active(user.id)
        assert replay is not None and replay.replay_of is None
        assert [t.text for t in replay.turns if t.speaker is Speaker.TRAINEE] == [DEFENSIVE, MINE]


async def test_purge_command_and_the_running_bot_apply_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with rig(tmp_path) as r:
        await finished_session(r)
        await play_and_end(r)
        backdate(r.database_file, 10)
        monkeypatch.setenv("DATABASE_URL", r.database_url)
        monkeypatch.setenv("RETENTION_DAYS", "0")

        assert await asyncio.to_thread(main, ["purge"]) == 0
        assert "nothing deleted" in capsys.readouterr().out
        assert await asyncio.to_thread(main, ["purge", "--days", "30"]) == 0
        assert capsys.readouterr().out == "Deleted 0 finished session(s) older than 30 days.\n"
        assert r.rows("practice_sessions") == 2

        assert await asyncio.to_thread(main, ["purge", "--days", "7"]) == 0
        assert capsys.readouterr().out == "Deleted 2 finished session(s) older than 7 days.\n"
        assert r.rows("practice_sessions") == 0

        await play_and_end(r)
        backdate(r.database_file, 10)
        settings = settings_for(r.tg, r.database_url, retention_days=7)
        async with open_app(settings) as app:
            bot = create_bot(settings)
            dp = app_dispatcher(app, texts())
            polling = asyncio.create_task(
                dp.start_polling(bot, polling_timeout=1, handle_signals=False)
            )
            try:
                await r.tg.wait_for("getMe", 2)
                for _ in range(100):
                    if r.rows("practice_sessions") == 0:
                        break
                    await asyncio.sleep(0.05)
            finally:
                await dp.stop_polling()
                await polling
        assert r.rows("practice_sessions") == 0


async def test_transcript_text_never_reaches_the_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        async with model_rig(tmp_path) as (r, server):
            await r.say(MINE)
            await r.say(f"{META} {MINE}")
            await r.say("/hint")
            await r.say("/mydata")
            await r.say("/end")
    assert len(server.patient_calls) == 2  # the text did travel to the model and back
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    for record in caplog.records:
        assert "Quillfeather" not in record.getMessage(), record.name
        assert "Quillfeather" not in (record.exc_text or ""), record.name
