"""Practise: rupture type → persona cards → the session (replies, /hint, /end)."""

from __future__ import annotations

import random
import secrets

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.types import CallbackQuery, Message

from bot.cohort_wiring import Cohorts
from bot.domain.ids import RuptureType
from bot.domain.persona import Persona
from bot.practice.records import UserRecord
from bot.practice.service import PracticeService
from bot.telegram import keyboards
from bot.telegram.callbacks import MenuCb, MenuItem, PersonaCb, RuptureCb, RuptureChoice
from bot.telegram.cohort_views import practise_screen
from bot.telegram.filters import on_loop
from bot.telegram.formatting import fill, patient_line, persona_cards, session_header
from bot.telegram.presenters import (
    drop_keyboard,
    send_feedback,
    send_long,
    show,
    take_reply,
    typing,
)
from bot.telegram.texts import UiTexts

_SYSTEM_RANDOM = secrets.SystemRandom()


async def start_session(
    bot: Bot,
    chat_id: int,
    practice: PracticeService,
    texts: UiTexts,
    trainee: UserRecord,
    persona: Persona,
    seed: int | None,
) -> None:
    replacing = await practice.active(trainee.id) is not None
    view = await practice.start(trainee.id, persona.id, seed)
    if replacing:
        await bot.send_message(chat_id, texts.replaced_session)
    await bot.send_message(chat_id, session_header(texts, persona))
    await bot.send_message(chat_id, patient_line(texts, persona, view.patient_line))


def create_router() -> Router:
    router = Router(name="practice")

    @router.message(Command("practice"))
    async def practice_command(
        message: Message, texts: UiTexts, trainee: UserRecord, cohorts: Cohorts | None = None
    ) -> None:
        text, markup = await practise_screen(texts, trainee.id, cohorts)
        await message.answer(text, reply_markup=markup)

    @router.callback_query(MenuCb.filter(F.item == MenuItem.PRACTISE))
    async def practise_button(
        callback: CallbackQuery,
        bot: Bot,
        texts: UiTexts,
        trainee: UserRecord,
        cohorts: Cohorts | None = None,
    ) -> None:
        await callback.answer()
        text, markup = await practise_screen(texts, trainee.id, cohorts)
        await show(bot, callback, text, markup)

    @router.callback_query(RuptureCb.filter())
    async def rupture_chosen(
        callback: CallbackQuery,
        callback_data: RuptureCb,
        bot: Bot,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
        session_seed: int | None,
    ) -> None:
        await callback.answer()
        if callback.message is None:
            return
        if callback_data.kind is RuptureChoice.SURPRISE:
            everyone = practice.personas()
            rng = random.Random(session_seed) if session_seed is not None else _SYSTEM_RANDOM
            persona = rng.choice(everyone)
            await drop_keyboard(bot, callback)
            await start_session(
                bot, callback.message.chat.id, practice, texts, trainee, persona, session_seed
            )
            return
        personas = await practice.personas_for(trainee.id, RuptureType(callback_data.kind.value))
        if not personas:
            await show(bot, callback, texts.no_personas, keyboards.rupture_types(texts))
            return
        await show(
            bot, callback, persona_cards(texts, personas), keyboards.persona_cards(texts, personas)
        )

    @router.callback_query(PersonaCb.filter())
    async def persona_chosen(
        callback: CallbackQuery,
        callback_data: PersonaCb,
        bot: Bot,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
        session_seed: int | None,
    ) -> None:
        persona = practice.persona(callback_data.persona)
        await callback.answer()
        if callback.message is None:
            return
        await show(bot, callback, fill(texts.persona_chosen, title=persona.title))
        await start_session(
            bot, callback.message.chat.id, practice, texts, trainee, persona, session_seed
        )

    @router.message(Command("hint"))
    async def hint(
        message: Message, practice: PracticeService, texts: UiTexts, trainee: UserRecord
    ) -> None:
        if await practice.active(trainee.id) is None:
            await message.answer(texts.no_session, reply_markup=keyboards.main_menu(texts))
            return
        await message.answer(fill(texts.hint, hint=await practice.hint(trainee.id)))

    @router.message(Command("end"))
    async def end(
        message: Message,
        bot: Bot,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        active = await practice.active(trainee.id)
        if active is None:
            await message.answer(texts.no_session, reply_markup=keyboards.main_menu(texts))
            return
        persona = await practice.persona_of(active)
        chat_id = message.chat.id
        async with typing(bot, chat_id, waits=practice.calls_model):
            owed = await practice.resume(trainee.id)  # a turn a crash cut off, first
        if owed:
            await bot.send_message(chat_id, texts.resumed)
            for line in owed:
                await send_long(bot, chat_id, patient_line(texts, persona, line))
        if await practice.active(trainee.id) is None:  # that turn ended the session
            feedback = await practice.feedback(trainee.id, active.id)
        else:
            async with typing(bot, chat_id):
                feedback = await practice.end(trainee.id)
        await send_feedback(bot, chat_id, practice, texts, active.id, persona, feedback)

    router.message.register(reply, on_loop(F.text), on_loop(~F.text.startswith("/")))
    return router


def replies_router() -> Router:
    """Plain text outside any dialogue state goes straight to the session, ahead of every
    command router.

    No handler before the practice router takes such text (they want a command, a
    document or a dialogue state), so answering it first changes nothing but the cost: a
    reply no longer passes each command filter of the routers before it (a dozen with
    cohorts and the curriculum). Text in a dialogue state still goes the long way, to
    the handler waiting for it or to the same `reply` at the end.
    """
    router = Router(name="practice-replies")
    router.message.register(
        reply, StateFilter(None), on_loop(F.text), on_loop(~F.text.startswith("/"))
    )
    return router


async def reply(
    message: Message,
    bot: Bot,
    practice: PracticeService,
    texts: UiTexts,
    trainee: UserRecord,
) -> None:
    await take_reply(message, bot, practice, texts, trainee, message.text or "")
