"""Sending practice results to a chat; shared by the text, voice, /end and history handlers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import partial

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.chat_action import ChatActionSender

from bot.charts import tension_chart
from bot.domain.feedback import SessionFeedback
from bot.domain.persona import Persona
from bot.practice.records import UserRecord
from bot.practice.service import PracticeError, PracticeService, TurnOutcome
from bot.telegram import keyboards
from bot.telegram.formatting import esc, feedback_html, patient_line
from bot.telegram.split import split_message
from bot.telegram.texts import UiTexts

#: a model call that takes longer than this gets its "typing…" renewed
TYPING_RENEW_S = 4.5


@asynccontextmanager
async def typing(bot: Bot, chat_id: int, *, waits: bool = True) -> AsyncIterator[None]:
    """Show "typing…" before the work starts (not after a delay), and keep it up.

    With `waits` False (no model call ahead: the answer is a few milliseconds away)
    nothing is shown; a Bot API call would only delay the answer.
    """
    if not waits:
        yield
        return
    await bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)
    async with ChatActionSender.typing(
        chat_id=chat_id, bot=bot, initial_sleep=TYPING_RENEW_S, interval=TYPING_RENEW_S
    ):
        yield


async def show(
    bot: Bot, callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace a text message's content in place; under a photo, send a new message."""
    message = callback.message
    if message is None:
        return
    if isinstance(message, Message) and message.text is not None:
        try:
            await message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:  # the same button tapped twice
                return
        else:
            return
    await bot.send_message(message.chat.id, text, reply_markup=markup)


async def drop_keyboard(bot: Bot, callback: CallbackQuery) -> None:
    """Take the buttons off a tapped message so it can't be tapped twice."""
    message = callback.message
    if message is not None:
        with suppress(TelegramBadRequest):  # too old, or already without buttons
            await bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=message.message_id, reply_markup=None
            )


async def send_long(
    bot: Bot, chat_id: int, html: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    chunks = split_message(html)
    for number, chunk in enumerate(chunks, start=1):
        await bot.send_message(
            chat_id, chunk, reply_markup=markup if number == len(chunks) else None
        )


async def send_feedback(
    bot: Bot,
    chat_id: int,
    practice: PracticeService,
    texts: UiTexts,
    session_id: int,
    persona: Persona,
    feedback: SessionFeedback,
) -> None:
    """The feedback text (split for Telegram), then the tension chart with what to do next."""
    rubric = practice.catalog.rubric_for(persona.language)
    await send_long(bot, chat_id, feedback_html(texts, rubric, persona, feedback))
    png = await asyncio.to_thread(
        partial(
            tension_chart,
            feedback,
            texts.chart_title.format(title=persona.title, tension=rubric.phrase("tension").lower()),
            turn_label=rubric.phrase("turn"),
            tension_label=rubric.phrase("tension"),
        )
    )
    await bot.send_photo(
        chat_id,
        BufferedInputFile(png, filename=f"tension-{session_id}.png"),
        caption=texts.chart_caption,
        reply_markup=keyboards.after_feedback(texts, session_id),
    )


async def take_reply(
    message: Message,
    bot: Bot,
    practice: PracticeService,
    texts: UiTexts,
    trainee: UserRecord,
    text: str,
) -> None:
    """One trainee reply, typed or spoken, through the practice service to the chat."""
    chat_id = message.chat.id
    try:
        async with typing(bot, chat_id, waits=practice.calls_model):
            outcome = await practice.reply(trainee.id, text)
    except PracticeError as exc:
        if exc.code != "no_session":
            raise
        await message.answer(texts.no_session, reply_markup=keyboards.main_menu(texts))
        return
    assert outcome.persona is not None, "the service names the persona of every turn"
    await show_outcome(bot, chat_id, practice, texts, outcome.persona, outcome)


async def show_outcome(
    bot: Bot,
    chat_id: int,
    practice: PracticeService,
    texts: UiTexts,
    persona: Persona,
    outcome: TurnOutcome,
) -> None:
    if outcome.crisis_message:
        await send_long(bot, chat_id, esc(outcome.crisis_message))
        return
    if outcome.recovered_lines:
        await bot.send_message(chat_id, texts.resumed)
        for line in outcome.recovered_lines:
            await send_long(bot, chat_id, patient_line(texts, persona, line))
    if outcome.patient_line:
        await send_long(bot, chat_id, patient_line(texts, persona, outcome.patient_line))
    if outcome.fell_back:
        await bot.send_message(chat_id, texts.model_fallback)
    if outcome.feedback is not None:
        await send_feedback(
            bot, chat_id, practice, texts, outcome.session_id, persona, outcome.feedback
        )
