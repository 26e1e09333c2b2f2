"""Telegram misbehaving: flood control, a user who blocked the bot, network errors while
polling, the same update twice, and a burst of messages in one session."""

from __future__ import annotations

import asyncio
import html
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter

from bot.domain.ids import Speaker
from bot.judges.rules import RuleJudge
from bot.patients.scripted import ScriptedPatient
from bot.telegram.delivery import RetryAfterMiddleware
from tests.fakes.telegram_server import FakeTelegram
from tests.reliability_kit import (
    NEUTRAL,
    PERSONA,
    CountingJudge,
    CountingPatient,
    roomy_catalog,
    swap_practice,
)
from tests.telegram_kit import USER, catalog, rig
from tests.test_telegram_practice import META

FLOOD = "Too Many Requests: retry after 1"
BLOCKED = "Forbidden: bot was blocked by the user"


def patient_texts(messages: list[dict[str, object]]) -> list[str]:
    return [str(m["text"]) for m in messages if str(m.get("text", "")).startswith("<b>Daniel:")]


async def test_flood_control_is_waited_out_and_the_reply_arrives_once(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        r.tg.fail_next("sendMessage", 429, FLOOD, retry_after=1)
        before = len(patient_texts(r.tg.messages(USER)))
        mark = r.tg.mark()
        await r.say(META)

        sends = r.tg.since(mark, "sendMessage")
        assert len(sends) == 2  # refused once, then sent
        assert sends[0].params == sends[1].params
        lines = patient_texts(r.tg.messages(USER))
        assert len(lines) == before + 1
        assert lines[-1] == sends[1].params["text"]
        assert r.texts.error not in r.tg.texts_since(mark)


async def test_flood_retries_wait_as_told_and_are_bounded() -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async with FakeTelegram() as tg:
        session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
        session.middleware(RetryAfterMiddleware(attempts=3, sleep=record))
        bot = Bot(tg.token, session=session)
        try:
            for _ in range(3):
                tg.fail_next("sendMessage", 429, FLOOD, retry_after=7)
            with pytest.raises(TelegramRetryAfter):
                await bot.send_message(USER, "hello")
            assert waits == [7, 7]
            assert len(tg.calls_to("sendMessage")) == 3

            tg.fail_next(
                "sendMessage", 429, "Too Many Requests: retry after 3600", retry_after=3600
            )
            with pytest.raises(TelegramRetryAfter):
                await bot.send_message(USER, "hello")
            assert waits == [7, 7]  # an hour is not waited for inside a turn
            assert len(tg.calls_to("sendMessage")) == 4
            assert tg.messages(USER) == []
        finally:
            await bot.session.close()


async def test_a_user_who_blocked_the_bot_is_marked_inactive_and_not_retried(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        r.tg.fail_next("sendMessage", 403, BLOCKED)
        mark = r.tg.mark()
        await r.say(META)

        assert [c.method for c in r.tg.since(mark)] == ["sendMessage"]  # sent once, not retried
        user = await r.trainee()
        stored = await r.store.get_user(user.id)
        assert stored is not None and stored.active is False
        session = await r.practice.active(user.id)
        assert session is not None
        assert [t.speaker for t in session.turns[-2:]] == [Speaker.TRAINEE, Speaker.PATIENT]
        assert session.turns[-2].text == META  # the reply and its answer are kept

        mark = r.tg.mark()
        await r.say("/menu")  # they unblocked the bot and came back
        assert r.tg.texts_since(mark) == [r.texts.menu]
        again = await r.store.get_user(user.id)
        assert again is not None and again.active is True


async def test_network_errors_while_polling_are_survived(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        r.tg.fail_next("getUpdates", 0)  # connection dropped
        r.tg.fail_next("getUpdates", 502, "Bad Gateway")
        r.tg.push(r.tg.text(USER, "/start"))
        polling = asyncio.create_task(
            r.dp.start_polling(r.bot, polling_timeout=1, handle_signals=False)
        )
        try:
            await r.tg.wait_for("sendMessage", 1, within=30)
        finally:
            await r.dp.stop_polling()
            await polling
        assert r.tg.sent_texts(USER) == [f"{r.texts.intro}\n\n<b>{r.texts.consent_question}</b>"]


async def test_the_same_update_twice_gives_one_turn_one_model_call_one_reply(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        patient = CountingPatient(ScriptedPatient())
        judge = CountingJudge(RuleJudge(catalog().rubrics))
        swap_practice(r, patient=patient, judge=judge)
        await r.consent()
        await r.start_session(PERSONA)
        update = r.tg.text(USER, META)
        mark = r.tg.mark()
        await r.send(update)
        await r.send(update)  # Telegram redelivers
        await asyncio.gather(r.send(update), r.send(update))  # or two deliveries race

        assert (patient.calls, judge.overlap.calls) == (1, 1)
        assert len(r.tg.since(mark, "sendMessage")) == 1
        session = await r.practice.active((await r.trainee()).id)
        assert session is not None
        assert [t.text for t in session.turns if t.speaker is Speaker.TRAINEE] == [META]


async def test_a_burst_of_twenty_messages_is_answered_in_order_and_all_stored(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        judge = CountingJudge(RuleJudge(catalog().rubrics))
        swap_practice(r, catalog=roomy_catalog(tmp_path), judge=judge)
        await r.consent()
        await r.start_session(PERSONA)
        burst = [f"{NEUTRAL} ({n})" for n in range(1, 21)]
        sent_before = len(r.tg.calls_to("sendMessage"))
        r.tg.push(*(r.tg.text(USER, text) for text in burst))
        polling = asyncio.create_task(
            r.dp.start_polling(r.bot, polling_timeout=1, handle_signals=False)
        )
        try:
            await r.tg.wait_for("sendMessage", sent_before + 20, within=120)
        finally:
            await r.dp.stop_polling()
            await polling

        session = await r.practice.active((await r.trainee()).id)
        assert session is not None
        assert [t.text for t in session.turns if t.speaker is Speaker.TRAINEE] == burst
        assert [t.index for t in session.turns] == list(range(41))
        assert [t.speaker for t in session.turns] == [Speaker.PATIENT, Speaker.TRAINEE] * 20 + [
            Speaker.PATIENT
        ]
        assert judge.replies == burst
        assert judge.overlap.most == 1
        answers = [html.escape(t.text, quote=False) for t in session.turns[2::2]]
        assert patient_texts(r.tg.messages(USER))[-20:] == [f"<b>Daniel:</b> {a}" for a in answers]
