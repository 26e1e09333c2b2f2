"""Drills in a group chat as native quiz polls; votes of consented trainees are recorded."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from bot.learning.models import Noticed
from tests.telegram_kit import OTHER_USER, USER, Rig, rig
from tests.test_telegram_learn import EXCHANGE_D01, service

GROUP = -100424242
NOTICED_LABELS = [
    "Confrontation rupture",
    "Withdrawal rupture",
    "Mixed rupture",
    "Immediate repair strategy",
    "Expressive repair strategy",
    "None is correct",
]


async def in_group(r: Rig, text: str, user: int = USER) -> None:
    await r.send(r.tg.text(user, text, chat=r.tg.group_chat(GROUP)))


def group_texts(r: Rig, since: int) -> list[str]:
    return [
        str(c.params["text"])
        for c in r.tg.since(since, "sendMessage")
        if c.params.get("chat_id") == GROUP
    ]


def polls(r: Rig, since: int) -> list[dict[str, Any]]:
    return [c.params for c in r.tg.since(since, "sendPoll")]


async def test_a_group_drill_is_a_quiz_and_consented_votes_count(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent(USER)
        mark = r.tg.mark()
        await in_group(r, "/drill")
        assert group_texts(r, mark) == [
            "<b>🎯 Drill · Introduction</b>\n\n"
            f"{EXCHANGE_D01}\n\n"
            "<i>Vote in the quiz below. Votes are visible to the group; if you have started "
            "me in a private chat, your answer counts toward your /progress there.</i>"
        ]
        noticed, detail = polls(r, mark)
        assert noticed["chat_id"] == GROUP
        assert noticed["question"] == "What did you notice in the last line?"
        assert noticed["options"] == NOTICED_LABELS
        assert (noticed["type"], noticed["is_anonymous"]) == ("quiz", False)
        assert noticed["correct_option_ids"] == [0]
        assert noticed["explanation"] == html.escape(
            "The patient moves against the work, and the target is the task itself (the "
            "worksheet), not you personally: a complaint about the activities of therapy.",
            quote=False,
        )
        drill = service(r).drill("intro-d01")
        options = [label for _, label in service(r).detail_options(drill)]
        assert detail["question"] == "Which marker fits best?"
        assert detail["options"] == options
        assert detail["correct_option_ids"] == [
            options.index("Complaint about the activities of therapy")
        ]

        # a consented trainee's vote is their drill answer; a stranger's stores nothing
        await r.send(r.tg.poll_answer("poll-1", USER, [0]))
        await r.send(r.tg.poll_answer("poll-1", OTHER_USER, [1]))
        await r.send(r.tg.poll_answer("poll-2", OTHER_USER, [0]))  # no consent: nothing
        await r.send(r.tg.poll_answer("poll-1", USER, []))  # a retracted vote
        assert r.rows("users") == 1
        (attempt,) = await service(r).store.drill_attempts((await r.trainee()).id)
        assert (attempt.drill_id, attempt.noticed, attempt.correct) == (
            "intro-d01",
            Noticed.CONFRONTATION_RUPTURE,
            True,
        )
        assert attempt.detail is None  # the finer question is not answered yet

        # the vote in the finer quiz completes that answer: a wrong marker makes it wrong
        assert drill.detail is not None
        detail_ids = [option for option, _ in service(r).detail_options(drill)]
        wrong = next(n for n, option in enumerate(detail_ids) if option != drill.detail.answer)
        await r.send(r.tg.poll_answer("poll-2", USER, [wrong]))
        (attempt,) = await service(r).store.drill_attempts((await r.trainee()).id)
        assert (attempt.detail, attempt.detail_correct, attempt.correct) == (
            detail_ids[wrong],
            False,
            False,
        )
        await r.send(r.tg.poll_answer("poll-2", USER, [wrong]))  # voting twice changes nothing
        assert len(await service(r).store.drill_attempts((await r.trainee()).id)) == 1

        # the group moves on to a drill it has not seen
        mark = r.tg.mark()
        await in_group(r, "/drill")
        assert "<b>Patient:</b> Fine." in group_texts(r, mark)[0]
        mark = r.tg.mark()
        await in_group(r, "/drill withdrawal")
        assert group_texts(r, mark)[0].startswith("<b>🎯 Drill · Withdrawal ruptures</b>")
        mark = r.tg.mark()
        await in_group(r, "/drill astrology")
        assert group_texts(r, mark) == [
            "I don't know a module called “astrology”. Try one of: introduction, "
            "confrontation, withdrawal, mixed, immediate, expressive."
        ]
        assert polls(r, mark) == []

        mark = r.tg.mark()
        await in_group(r, "/progress")
        assert group_texts(r, mark) == [r.texts.learning.group_private_only]


async def test_votes_cast_after_a_restart_still_count(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await in_group(r, "/drill")
        await r.restart()
        await r.consent(OTHER_USER)
        await r.send(r.tg.poll_answer("poll-1", OTHER_USER, [1]))
        user = await r.trainee(OTHER_USER)
        (attempt,) = await service(r).store.drill_attempts(user.id)
        assert (attempt.drill_id, attempt.noticed, attempt.correct) == (
            "intro-d01",
            Noticed.WITHDRAWAL_RUPTURE,
            False,
        )
        await r.say("/progress", OTHER_USER)
        assert "Confrontation ruptures: 0% right (0 of 1)" in r.tg.sent_texts(OTHER_USER)[-1]
