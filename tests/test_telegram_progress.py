"""/progress and "My progress": the chart of recognition and repair skills over time,
the summary, and the next suggested exercise, which a button opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakes.telegram_server import FakeTelegram
from tests.telegram_kit import USER, Rig, rig
from tests.test_telegram_formatting import PNG_MAGIC
from tests.test_telegram_learn import service

EXPLORING = "Can you tell me more about what feels pointless about it?"
EMPTY = (
    "<b>📈 Your progress</b>\n"
    "Nothing to chart yet. Answer a few drills and prompts in the learning modules, "
    "and your progress shows up here."
)
ROWS_AFTER_SUGGESTION = [
    [("📖 Modules", "m:learn"), ("🗂 Past sessions", "m:history")],
    [("☰ Menu", "m:menu")],
]


async def answer_some(r: Rig) -> None:
    """intro-d01 right, intro-d02 wrong, the first prompt answered with an exploring question."""
    await r.say("/learn")
    await r.tap("◻️ Introduction")
    await r.tap("🎯 Drills")
    await r.tap("Confrontation rupture")
    await r.tap("Complaint about the activities of therapy")
    await r.tap("🎯 Next drill")
    await r.tap("Confrontation rupture")
    await r.say("/learn")
    await r.tap("🔸 Introduction")
    await r.tap("✍️ Prompts")
    await r.say(EXPLORING)


async def test_progress_before_anything_suggests_where_to_start(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        mark = r.tg.mark()
        await r.say("/progress")
        assert r.tg.since(mark, "sendPhoto") == []  # nothing to chart yet
        (text,) = r.tg.texts_since(mark)
        assert text == f"{EMPTY}\n\n<b>Next:</b> start with a drill on Confrontation ruptures."
        assert FakeTelegram.buttons(r.tg.last_message(USER)) == [
            [("▶ Drill: Confrontation ruptures", "lo:intro-d01")],
            *ROWS_AFTER_SUGGESTION,
        ]
        await r.tap("▶ Drill: Confrontation ruptures")
        assert r.tg.last_message(USER)["text"].startswith("<b>🎯 Drill 1 of ")


async def test_progress_is_recorded_charted_and_points_at_the_weakest_skill(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await answer_some(r)
        user = await r.trainee()
        progress = await service(r).progress(user.id)
        suggestion = progress.suggestion
        assert suggestion is not None
        assert (suggestion.kind, suggestion.focus, suggestion.reason) == (
            "drill",
            "withdrawal",
            "weakest",
        )
        (prompt_answer,) = await service(r).store.prompt_attempts(user.id)

        await r.say("/menu")
        mark = r.tg.mark()
        await r.tap("📈 My progress")
        calls = r.tg.since(mark)
        assert [c.method for c in calls] == [
            "answerCallbackQuery",
            "sendChatAction",
            "sendPhoto",
            "sendMessage",
        ]
        assert calls[1].params["action"] == "upload_photo"
        photo = calls[2]
        assert photo.files["photo"].content.startswith(PNG_MAGIC)
        assert photo.files["photo"].filename == "progress.png"
        assert photo.params["caption"] == r.texts.learning.chart_caption

        monday = datetime.now(UTC).date() - timedelta(days=datetime.now(UTC).weekday())
        summary = calls[3].params["text"]
        assert summary.startswith(
            "<b>📈 Your progress</b>\n"
            "Answered so far: drills 2 · prompts 1\n\n"
            "<b>Recognising</b>\n"
            "Confrontation ruptures: 100% right (1 of 1)\n"
            "Withdrawal ruptures: 0% right (0 of 1)\n\n"
            "<b>Repair moves in your prompt answers</b>\n"
        )
        for skill in prompt_answer.expected_moves:
            hit = int(skill in prompt_answer.hit_moves)
            label = service(r).label(skill.value)
            assert f"\n{label}: {hit} of 1 ({100 * hit}%)\n" in summary
        assert summary.endswith(
            "<b>By week</b>\n"
            f"Week of {monday.strftime('%d %b')}: drills 2 (50% right) · prompts 1 "
            f"(average {prompt_answer.rating:.1f}/5)\n\n"
            "<b>Next:</b> a drill on Withdrawal ruptures, your weakest so far (0%)."
        )
        assert FakeTelegram.buttons(r.tg.last_message(USER)) == [
            [("▶ Drill: Withdrawal ruptures", f"lo:{suggestion.item_id}")],
            *ROWS_AFTER_SUGGESTION,
        ]

        await r.tap("▶ Drill: Withdrawal ruptures")
        drill = service(r).drill(suggestion.item_id)
        assert f"<b>Patient:</b> {drill.exchange[-1].text}" in r.tg.last_message(USER)["text"]

        await r.say("/progress")
        await r.tap("🗂 Past sessions")
        assert r.tg.last_message(USER)["text"] == r.texts.history_empty
