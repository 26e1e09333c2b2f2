"""/history: past sessions, their feedback again and the transcript as a document."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.fakes.telegram_server import FakeTelegram
from tests.telegram_kit import USER, rig
from tests.test_telegram_formatting import PNG_MAGIC
from tests.test_telegram_practice import META
from tests.test_telegram_replay import finished_session, play_and_end


async def test_history_lists_sessions_with_date_persona_and_rating(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.say("/history")
        assert r.tg.sent_texts(USER)[-1] == r.texts.history_empty

        finished = await play_and_end(r)
        await r.start_session("not-my-mother")
        await r.say(META)
        user = await r.trainee()
        running = await r.practice.active(user.id)
        assert running is not None
        rating = (await r.practice.feedback(user.id, finished)).resolution_rating

        mark = r.tg.mark()
        await r.say("/history")
        today = datetime.now(UTC).strftime("%d %b %Y")
        assert r.tg.texts_since(mark) == [f"<b>Your sessions</b> (2, average rating {rating}.0)"]
        assert FakeTelegram.buttons(r.tg.last_message(USER)) == [
            [(f"{today} · It's not about my mother · running", f"h:{running.id}:i")],
            [(f"{today} · The homework is pointless · {rating}/5", f"h:{finished}:i")],
            [("☰ Menu", "m:menu")],
        ]

        await r.tap("☰ Menu")
        await r.tap("📈 My progress")
        await r.tap("🗂 Past sessions")
        assert r.tg.last_message(USER)["text"].startswith("<b>Your sessions</b> (2, ")


async def test_a_past_session_shows_its_feedback_and_transcript(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        session_id = await finished_session(r)
        user = await r.trainee()
        feedback = await r.practice.feedback(user.id, session_id)
        today = datetime.now(UTC).strftime("%d %b %Y")
        await r.say("/history")
        await r.tap(f"{today} · The homework is pointless · {feedback.resolution_rating}/5")
        item = r.tg.last_message(USER)
        assert item["text"] == (
            f"<b>The homework is pointless</b>\n{today} · 3 replies · "
            f"{feedback.resolution_rating}/5"
        )
        assert FakeTelegram.buttons(item) == [
            [("📋 Feedback", f"h:{session_id}:f"), ("📄 Transcript", f"h:{session_id}:x")],
            [("🔁 What if…", f"w:{session_id}")],
        ]

        mark = r.tg.mark()
        await r.tap("📋 Feedback")
        again = r.tg.since(mark)
        assert again[1].params["text"].startswith("<b>Feedback · The homework is pointless</b>")
        assert again[-1].method == "sendPhoto"
        assert again[-1].files["photo"].content.startswith(PNG_MAGIC)

        mark = r.tg.mark()
        await r.tap("📄 Transcript")
        (call,) = r.tg.since(mark, "sendDocument")
        document = call.files["document"]
        assert document.filename == f"transcript-{session_id}.txt"
        text = document.content.decode()
        persona = r.practice.persona("homework-pointless")
        assert text.startswith("The homework is pointless · ")
        assert f"Daniel: {persona.opening}\n" in text
        assert "You: So you mean <b>& that {{7*7}} is all it's worth?\n" in text
        assert call.params["caption"] == f"Transcript of The homework is pointless, {today}."
