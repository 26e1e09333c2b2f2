"""After feedback: "What if…" replays a finished session from an earlier turn."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery

from bot.domain.ids import Speaker
from bot.practice.records import UserRecord
from bot.practice.service import PracticeService
from bot.telegram import keyboards
from bot.telegram.callbacks import ReplayCb, WhatIfCb
from bot.telegram.formatting import fill, patient_line
from bot.telegram.presenters import drop_keyboard
from bot.telegram.texts import UiTexts


def create_router() -> Router:
    router = Router(name="feedback")

    @router.callback_query(WhatIfCb.filter())
    async def what_if(
        callback: CallbackQuery,
        callback_data: WhatIfCb,
        bot: Bot,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        session = await practice.owned_session(trainee.id, callback_data.session)
        replies = [t for t in session.turns if t.speaker is Speaker.TRAINEE]
        if not replies or callback.message is None:
            await callback.answer(texts.what_if_none, show_alert=True)
            return
        await callback.answer()
        await bot.send_message(
            callback.message.chat.id,
            texts.what_if_prompt,
            reply_markup=keyboards.replay_turns(texts, session.id, replies),
        )

    @router.callback_query(ReplayCb.filter())
    async def replay(
        callback: CallbackQuery,
        callback_data: ReplayCb,
        bot: Bot,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        view = await practice.replay(trainee.id, callback_data.session, callback_data.turn)
        await callback.answer()
        if callback.message is None:
            return
        chat_id = callback.message.chat.id
        await drop_keyboard(bot, callback)
        await bot.send_message(chat_id, fill(texts.what_if_started, turn=callback_data.turn))
        await bot.send_message(chat_id, patient_line(texts, view.persona, view.patient_line))

    return router
