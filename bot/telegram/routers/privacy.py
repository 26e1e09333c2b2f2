"""/mydata (everything stored about the user, as a JSON file) and /forget (erase it all)."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.practice.privacy import export_document
from bot.practice.records import UserRecord
from bot.practice.service import PracticeService
from bot.telegram.callbacks import ConsentAnswer, ForgetCb
from bot.telegram.presenters import drop_keyboard
from bot.telegram.texts import UiTexts

log = logging.getLogger(__name__)

EXPORT_FILENAME = "rupture-coach-my-data.json"


def forget_keyboard(texts: UiTexts) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.buttons.forget_confirm, callback_data=ForgetCb(answer=ConsentAnswer.YES)
    )
    builder.button(
        text=texts.buttons.forget_cancel, callback_data=ForgetCb(answer=ConsentAnswer.NO)
    )
    builder.adjust(1)
    return builder.as_markup()


def create_router() -> Router:
    router = Router(name="privacy")

    @router.message(Command("mydata"))
    async def my_data(
        message: Message, bot: Bot, practice: PracticeService, texts: UiTexts, trainee: UserRecord
    ) -> None:
        document = await export_document(practice.store, trainee.id)
        await bot.send_document(
            message.chat.id,
            BufferedInputFile(document, filename=EXPORT_FILENAME),
            caption=texts.mydata_caption,
        )

    @router.message(Command("forget"))
    async def forget(message: Message, texts: UiTexts) -> None:
        await message.answer(texts.forget_question, reply_markup=forget_keyboard(texts))

    @router.callback_query(ForgetCb.filter())
    async def forget_answer(
        callback: CallbackQuery,
        callback_data: ForgetCb,
        bot: Bot,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
        state: FSMContext,
    ) -> None:
        await callback.answer()
        await drop_keyboard(bot, callback)
        chat_id = callback.message.chat.id if callback.message else callback.from_user.id
        if callback_data.answer is ConsentAnswer.NO:
            await bot.send_message(chat_id, texts.forget_kept)
            return
        await practice.store.erase_user(trainee.id)
        await state.clear()  # FSM state and data (Redis keys when replicas share state)
        log.info("user %s erased their data", trainee.id)
        await bot.send_message(chat_id, texts.forget_done)

    return router
