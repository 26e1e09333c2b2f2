"""Sharing a session, the trainer opening it, group review with polls, revoking and leaving."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.cohort_kit import (
    GROUP,
    OTHER_TRAINEE,
    OTHER_TRAINER,
    TRAINEE,
    TRAINER,
    CohortRig,
    cohort_rig,
)

IGNORE = "Let's get back to the worksheet, we have a lot to cover."
META = (
    "I notice that since I brought up the homework things have felt tense between us. "
    "I think I pushed it on you without asking how it was for you, and that's on me."
)
VALIDATE = (
    "It makes sense that you'd be fed up with it. "
    "I wonder what it's like for you to sit here with me right now?"
)
TITLE = "The homework is pointless"


async def shared_session(c: CohortRig) -> str:
    """Trainer with a cohort, a trainee who practised and shared; returns the pseudonym."""
    await c.make_trainer()
    await c.make_trainer(OTHER_TRAINER)
    token = await c.new_cohort("Spring CBT")
    for user in (TRAINEE, OTHER_TRAINEE):
        await c.r.consent(user)
        await c.join(token, user)
    await c.r.start_session("homework-pointless", TRAINEE)
    for reply in (IGNORE, META, VALIDATE):
        await c.say(reply, TRAINEE)
    await c.say("/end", TRAINEE)
    await c.say("/history", TRAINEE)
    today = datetime.now(UTC).strftime("%d %b %Y")
    history = c.last(TRAINEE)
    label = history["reply_markup"]["inline_keyboard"][0][0]["text"]
    assert label.startswith(f"{today} · {TITLE}")
    await c.tap(label, TRAINEE)
    await c.tap("👥 Share", TRAINEE)
    confirm = c.last_text(TRAINEE)
    assert confirm.startswith(f"Share “{TITLE}” ({today}) with <b>Spring CBT</b>?")
    member = (await c.cohorts.service.store.memberships((await c.r.trainee()).id))[0]
    await c.tap(f"Share as {member.pseudonym}", TRAINEE)
    assert c.last_text(TRAINEE) == (
        f"Shared with <b>Spring CBT</b> as <b>{member.pseudonym}</b>. "
        "Stop sharing at any time with /shared."
    )
    return member.pseudonym


async def open_cohort(c: CohortRig, button: str) -> None:
    await c.say("/cohorts", TRAINER)
    await c.tap("Spring CBT", TRAINER)
    await c.tap(button, TRAINER)


async def test_only_the_trainer_and_the_owner_see_a_share_and_views_are_recorded(
    tmp_path: Path,
) -> None:
    async with cohort_rig(tmp_path) as c:
        pseudonym = await shared_session(c)
        assert c.r.rows("session_shares") == 1
        share_id = (await c.cohorts.service.store.owner_shares((await c.r.trainee()).id))[0].id

        await open_cohort(c, "📂 Shared sessions")
        today = datetime.now(UTC).strftime("%d %b %Y")
        mark = c.r.tg.mark()
        await c.tap(f"{pseudonym} · {TITLE} · {today}", TRAINER)
        transcript = "\n".join(c.r.tg.texts_since(mark))
        assert transcript.startswith(f"<b>{TITLE}</b> · {pseudonym} · {today}")
        assert f"<b>{pseudonym} (1):</b> {IGNORE}" in transcript
        assert "pitfalls: Ignoring the rupture" in (transcript)
        assert "Alex" not in transcript  # pseudonymised
        assert c.r.rows("share_views") == 1

        # Another trainer and another member of the cohort are refused, even with forged buttons.
        for outsider in (OTHER_TRAINER, OTHER_TRAINEE):
            mark = c.r.tg.mark()
            await c.r.send(c.r.tg.callback(outsider, f"co:{share_id}", c.last(TRAINER)))
            alert = c.r.tg.since(mark, "answerCallbackQuery")[-1]
            assert alert.params["text"] == "That transcript isn't shared with you (any more)."
            assert not c.r.tg.since(mark, "sendMessage")
        assert c.r.rows("share_views") == 1

        # The owner sees who opened it.
        await c.say("/shared", TRAINEE)
        assert " · opened 1×, last " in c.last_text(TRAINEE)

        # The trainer's export of the share: a PDF, and the view is recorded.
        mark = c.r.tg.mark()
        await c.tap("📄 PDF", TRAINER)
        (doc,) = c.r.tg.since(mark, "sendDocument")
        assert doc.files["document"].content.startswith(b"%PDF")
        assert c.r.rows("share_views") == 2


async def test_group_review_posts_turns_polls_and_a_summary(tmp_path: Path) -> None:
    async with cohort_rig(tmp_path) as c:
        pseudonym = await shared_session(c)
        await open_cohort(c, "🔗 Link a group")
        code = c.last_text(TRAINER).split("<code>/link ", 1)[1].split("</code>", 1)[0]

        await c.say_in_group(f"/link {code}", OTHER_TRAINER)
        assert c.last_text(GROUP) == "That cohort doesn't exist or isn't yours."
        await c.say_in_group(f"/link {code}", TRAINER)
        assert c.last_text(GROUP) == (
            "This group is now linked to <b>Spring CBT</b>. The trainer starts a review "
            "with /review."
        )
        await c.say_in_group("/review", TRAINEE)
        assert c.last_text(GROUP) == "Only the cohort's trainer leads reviews here."

        await c.say_in_group("/review", TRAINER)
        assert c.last_text(GROUP).startswith("<b>Group review · Spring CBT</b>")
        today = datetime.now(UTC).strftime("%d %b %Y")
        await c.tap_in_group(f"{pseudonym} · {TITLE} · {today}", TRAINER)
        stops = c.last(GROUP)
        rows = [row[0]["text"] for row in stops["reply_markup"]["inline_keyboard"]]
        assert rows[0].startswith("🗳 Reply 1: Let's get back")  # the weak reply, preselected
        assert rows[1].startswith("· Reply 2: ")
        assert rows[-1] == "▶ Start review"
        await c.tap_in_group(rows[1], TRAINER)
        rows = [row[0]["text"] for row in c.last(GROUP)["reply_markup"]["inline_keyboard"]]
        assert rows[1].startswith("🗳 Reply 2: ")

        # Someone else cannot lead.
        mark = c.r.tg.mark()
        await c.tap_in_group("▶ Start review", TRAINEE)
        assert not c.r.tg.since(mark, "sendMessage")

        mark = c.r.tg.mark()
        await c.tap_in_group("▶ Start review", TRAINER)
        posted = c.r.tg.texts_since(mark)
        assert posted[0].startswith(f"<b>Group review · {TITLE}</b>\nTrainee: {pseudonym}")
        assert posted[1].startswith("<b>Daniel:</b> Honestly?")
        assert "<i>marker: Complaint about the activities of therapy" in posted[1]
        assert "tension 7/10</i>" in posted[1]
        quiz, poll = c.r.tg.since(mark, "sendPoll")
        assert quiz.params["question"] == "Reply 1: what marker is this?"
        assert quiz.params["type"] == "quiz"
        (right,) = quiz.params["correct_option_ids"]
        assert quiz.params["options"][right] == "Complaint about the activities of therapy"
        assert poll.params["question"] == "Reply 1: which repair would you try?"
        assert poll.params["type"] == "regular"
        assert posted[-1] == f"Vote above; the trainer taps Continue to see what {pseudonym} said."
        assert IGNORE not in "".join(posted)  # the reply stays hidden until after the vote

        quiz_id = c.r.tg.polls["poll-1"]["id"]
        votes = [0, 0, 0, 0]
        votes[right] = 2
        votes[(right + 1) % 4] = 1
        await c.r.send(c.r.tg.vote(quiz_id, votes))
        await c.r.send(c.r.tg.vote("poll-2", [3, 0, 1, 0]))

        mark = c.r.tg.mark()
        await c.tap_in_group("▶ Continue", TRAINER)
        posted = c.r.tg.texts_since(mark)
        assert posted[0].startswith(f"<b>{pseudonym} (1):</b> {IGNORE}")
        assert "pitfalls: " in posted[0] and "rating 2/5 · tension 7 → 9" in posted[0]
        assert len(c.r.tg.since(mark, "sendPoll")) == 2

        mark = c.r.tg.mark()
        await c.tap_in_group("▶ Continue", TRAINER)
        posted = c.r.tg.texts_since(mark)
        assert posted[0].startswith(f"<b>{pseudonym} (2):</b> {META}")
        assert len(c.r.tg.since(mark, "stopPoll")) == 4
        summary = posted[-1]
        assert summary.startswith(f"<b>📊 Review summary · {TITLE}</b>")
        assert (
            "Reply 1 · marker: Complaint about the activities of therapy: 2 of 3 vote(s) right"
            in (summary)
        )
        chosen = c.r.tg.polls["poll-2"]["options"][0]["text"]
        assert f"Reply 1 · repair: the group chose {chosen}; {pseudonym} used " in summary
        assert "Reply 2 · marker:" in summary and "no votes" in summary
        assert "Outcome: " in summary

        # The review is over; the group saw it once: one view recorded for the group.
        views = await c.cohorts.service.store.views(1)
        assert [(v.via.value, v.chat_id) for v in views] == [("group", GROUP)]


async def test_revoking_and_leaving_take_effect_at_once(tmp_path: Path) -> None:
    async with cohort_rig(tmp_path) as c:
        pseudonym = await shared_session(c)
        await open_cohort(c, "🔗 Link a group")
        code = c.last_text(TRAINER).split("<code>/link ", 1)[1].split("</code>", 1)[0]
        await c.say_in_group(f"/link {code}", TRAINER)
        await c.say_in_group("/review", TRAINER)
        today = datetime.now(UTC).strftime("%d %b %Y")
        await c.tap_in_group(f"{pseudonym} · {TITLE} · {today}", TRAINER)
        await c.tap_in_group("▶ Start review", TRAINER)
        assert any("<b>Daniel:</b> Honestly?" in m.get("text", "") for m in c.r.tg.messages(GROUP))

        await c.say("/shared", TRAINEE)
        await c.tap(f"🚫 Stop sharing · {TITLE}", TRAINEE)
        assert c.last_text(TRAINEE) == (
            f"You stopped sharing “{TITLE}” with Spring CBT. Your trainer no longer sees it."
        )
        # The review's posts are gone from the group, and it cannot go on.
        assert not any("Honestly?" in m.get("text", "") for m in c.r.tg.messages(GROUP))
        mark = c.r.tg.mark()
        (review,) = await c.cohorts.service.store.share_reviews(1)
        await c.r.send(c.r.tg.callback(TRAINER, f"cg:{review.id}", c.last(GROUP)))
        alert = c.r.tg.since(mark, "answerCallbackQuery")[-1]
        assert alert.params["text"] == "This review is over. Start another with /review."
        await open_cohort(c, "📂 Shared sessions")
        assert c.last_text(TRAINER) == "No one in <b>Spring CBT</b> has shared a session yet."

        # Share again, then leave the cohort: the trainer loses it at once.
        await c.say("/history", TRAINEE)
        label = c.last(TRAINEE)["reply_markup"]["inline_keyboard"][0][0]["text"]
        await c.tap(label, TRAINEE)
        await c.tap("👥 Share", TRAINEE)
        await c.tap(f"Share as {pseudonym}", TRAINEE)
        await open_cohort(c, "📂 Shared sessions")
        assert c.last_text(TRAINER) == "<b>Shared with Spring CBT</b>"
        await c.say("/leave", TRAINEE)
        await c.tap("Leave Spring CBT", TRAINEE)
        assert c.last_text(TRAINEE) == "You left <b>Spring CBT</b>."
        await open_cohort(c, "📂 Shared sessions")
        assert c.last_text(TRAINER) == "No one in <b>Spring CBT</b> has shared a session yet."
        report = await c.cohorts.service.report(await c.r.trainee(TRAINER), 1)
        assert [t.user_id for t in report.trainees] == [(await c.r.trainee(OTHER_TRAINEE)).id]
