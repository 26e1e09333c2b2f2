"""Roles, cohorts, invites, assignments and the cohort report, through the real bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.cohorts.records import Role
from tests.cohort_kit import (
    ADMIN,
    OTHER_TRAINEE,
    OTHER_TRAINER,
    TRAINEE,
    TRAINER,
    CohortRig,
    cohort_rig,
)
from tests.test_telegram_formatting import PNG_MAGIC

META = (
    "I notice that since I brought up the homework things have felt tense between us. "
    "I think I pushed it on you without asking how it was for you, and that's on me."
)


async def role_of(c: CohortRig, user: int) -> Role:
    record = await c.r.trainee(user)
    return await c.cohorts.service.role(record)


async def test_admin_makes_a_trainer_and_a_trainee_cannot_use_trainer_commands(
    tmp_path: Path,
) -> None:
    async with cohort_rig(tmp_path) as c:
        t = c.r.texts.cohorts
        await c.r.consent(TRAINEE)
        for command in ("/newcohort Mine", "/cohorts", "/promote 4242", "/personas"):
            await c.say(command, TRAINEE)
            assert c.last_text(TRAINEE) == t.trainer_only, command
        assert c.r.rows("cohorts") == 0
        assert await role_of(c, TRAINEE) is Role.TRAINEE

        await c.say("/promote 999999", ADMIN)
        assert "No one with Telegram id 999999 has started the bot" in c.last_text(ADMIN)
        await c.say("/promote", ADMIN)
        assert c.last_text(ADMIN) == t.promote_usage

        await c.make_trainer(TRAINER)
        assert c.last_text(ADMIN) == (
            f"Telegram user {TRAINER} is now a trainer. They create a cohort with /newcohort."
        )
        assert await role_of(c, TRAINER) is Role.TRAINER
        assert await role_of(c, ADMIN) is Role.ADMIN
        # A trainer cannot make trainers.
        await c.say(f"/promote {TRAINEE}", TRAINER)
        assert c.last_text(TRAINER) == t.trainer_only
        assert await role_of(c, TRAINEE) is Role.TRAINEE

        await c.say("/whoami", TRAINER)
        assert c.last_text(TRAINER) == (
            f"Your Telegram id is <code>{TRAINER}</code>; your role here: trainer."
        )
        await c.say(f"/demote {TRAINER}", ADMIN)
        assert await role_of(c, TRAINER) is Role.TRAINEE


async def test_invite_link_join_after_consent_and_assignments_first(tmp_path: Path) -> None:
    async with cohort_rig(tmp_path) as c:
        await c.make_trainer()
        token = await c.new_cohort("Spring CBT")
        created = c.last_text(TRAINER)
        assert created.startswith("Cohort <b>Spring CBT</b> is ready.")
        assert f"https://t.me/rupture_coach_test_bot?start={token}" in created

        # The trainer assigns a persona, due in 7 days, through the cohort card.
        await c.tap("📌 Assign", TRAINER)
        await c.tap("The homework is pointless · ★", TRAINER)
        assert c.last_text(TRAINER) == "<b>The homework is pointless</b> for Spring CBT: due when?"
        await c.tap("In 7 days", TRAINER)
        assert c.last_text(TRAINER).startswith(
            "Assigned <b>The homework is pointless</b> to Spring CBT, due "
        )

        # A new trainee taps the link: consent first, nothing stored before it.
        await c.join(token, TRAINEE)
        first = c.last(TRAINEE)
        assert "You're invited to join the cohort <b>Spring CBT</b>." in first["text"]
        assert c.r.rows("cohort_members") == 0
        assert (await c.r.store.find_user("telegram", str(TRAINEE))) is None
        await c.tap("✅ I agree and join", TRAINEE)
        texts = c.r.tg.sent_texts(TRAINEE)
        assert texts[-3] == c.r.texts.consent_thanks
        joined = texts[-2]
        assert joined.startswith("You joined <b>Spring CBT</b>.")
        member = (await c.cohorts.service.store.memberships((await c.r.trainee()).id))[0]
        assert f"<b>{member.pseudonym}</b>" in joined
        # Assignments come first in the Practise menu.
        practise = c.last(TRAINEE)
        assert practise["text"].startswith("📌 <b>Assigned to you</b>\n• The homework is pointless")
        assert "<i>(Spring CBT)</i>, due " in practise["text"]
        first_row = practise["reply_markup"]["inline_keyboard"][0][0]
        assert first_row["text"] == "📌 The homework is pointless"

        await c.say("/practice", TRAINEE)
        assert c.last_text(TRAINEE).startswith("📌 <b>Assigned to you</b>")

        # Tapping the assignment starts the session; finishing it marks it done.
        await c.tap("📌 The homework is pointless", TRAINEE)
        assert c.last_text(TRAINEE).startswith("<b>Daniel:</b> Honestly?")
        await c.say(META, TRAINEE)
        await c.say("/end", TRAINEE)
        await c.say("/assignments", TRAINEE)
        assert c.last_text(TRAINEE).startswith("📌 <b>Assigned to you</b>\n✅ The homework")
        await c.say("/practice", TRAINEE)
        assert c.last_text(TRAINEE) == c.r.texts.choose_rupture

        # Joining twice is harmless; a bad token is explained.
        await c.join(token, TRAINEE)
        assert "You're already in <b>Spring CBT</b>." in c.r.tg.sent_texts(TRAINEE)[-2]
        await c.join("nonsense-token-123", OTHER_TRAINEE)
        assert c.r.tg.sent_texts(OTHER_TRAINEE)[0] == c.r.texts.cohorts.join_bad


async def test_report_message_and_chart_and_trainers_see_only_their_cohorts(
    tmp_path: Path,
) -> None:
    async with cohort_rig(tmp_path) as c:
        await c.make_trainer(TRAINER)
        await c.make_trainer(OTHER_TRAINER)
        token = await c.new_cohort("Spring CBT", TRAINER)
        await c.tap("📌 Assign", TRAINER)
        await c.tap("The homework is pointless · ★", TRAINER)
        await c.tap("In 3 days", TRAINER)
        await c.r.consent(TRAINEE)
        await c.join(token, TRAINEE)
        await c.r.start_session("homework-pointless", TRAINEE)
        await c.say(META, TRAINEE)
        await c.say("/end", TRAINEE)
        await c.r.consent(OTHER_TRAINEE)
        await c.join(token, OTHER_TRAINEE)

        # Move the clock past the due date: the trainee who did nothing is overdue.
        service = c.cohorts.service
        service.clock = lambda: datetime.now(UTC) + timedelta(days=5)
        mark = c.r.tg.mark()
        await c.say("/cohorts", TRAINER)
        await c.tap("Spring CBT", TRAINER)
        await c.tap("📊 Report", TRAINER)
        calls = c.r.tg.since(mark)
        report = [x.params["text"] for x in calls if x.method == "sendMessage"][-1]
        assert report.startswith("<b>Report · Spring CBT</b> (2 trainee(s))")
        assert "<b>Alex</b> · 1 session(s) done · mean rating" in report
        assert "Skills: " in report and "Meta-communication ×1" in report
        assert "Assignments: 1/1 ·" in report
        assert "Assignments: 0/1 · <b>overdue: The homework is pointless</b>" in report
        (photo,) = [x for x in calls if x.method == "sendPhoto"]
        assert photo.files["photo"].content.startswith(PNG_MAGIC)
        assert len(photo.files["photo"].content) > 10_000

        # Another trainer cannot open this cohort, even with a forged button.
        cohort_id = (await service.store.trainer_cohorts((await c.r.trainee(TRAINER)).id))[0].id
        alerts = len(c.r.tg.calls_to("answerCallbackQuery"))
        forged = c.r.tg.callback(OTHER_TRAINER, f"ck:{cohort_id}:r", c.last(TRAINER))
        await c.r.send(forged)
        answer = c.r.tg.calls_to("answerCallbackQuery")[alerts]
        assert answer.params["text"] == "That cohort doesn't exist or isn't yours."
        assert not any("Report · Spring CBT" in t for t in c.r.tg.sent_texts(OTHER_TRAINER))
        # A trainee's forged report button is refused too.
        await c.r.send(c.r.tg.callback(TRAINEE, f"ck:{cohort_id}:r", c.last(TRAINER)))
        assert not any("Report ·" in t for t in c.r.tg.sent_texts(TRAINEE))


async def test_a_module_assignment_without_due_date(tmp_path: Path) -> None:
    async with cohort_rig(tmp_path) as c:
        await c.make_trainer()
        token = await c.new_cohort("Spring CBT")
        await c.tap("📌 Assign", TRAINER)
        await c.tap(c.r.texts.buttons.learn, TRAINER)
        await c.tap("📖 Withdrawal ruptures", TRAINER)
        await c.tap("No due date", TRAINER)
        assert c.last_text(TRAINER).startswith(
            "Assigned <b>Withdrawal ruptures</b> to Spring CBT. Trainees see it first"
        )
        await c.r.consent(TRAINEE)
        await c.join(token, TRAINEE)
        await c.say("/assignments", TRAINEE)
        assert c.last_text(TRAINEE) == (
            "📌 <b>Assigned to you</b>\n• Withdrawal ruptures <i>(Spring CBT)</i>"
        )
        await c.tap("📌 Withdrawal ruptures", TRAINEE)
        assert c.last_text(TRAINEE) == (
            "📖 <b>Withdrawal ruptures</b> is a learning module. Open it with /learn."
        )
