"""/start, consent, the main menu, /help and /learn: texts only, nothing practised here."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.practice.records import UserRecord
from bot.practice.service import PracticeService
from bot.telegram import keyboards
from bot.telegram.callbacks import ConsentAnswer, ConsentCb, MenuCb, MenuItem
from bot.telegram.identity import grant_consent
from bot.telegram.presenters import drop_keyboard, show
from bot.telegram.texts import UiTexts


def create_router() -> Router:
    router = Router(name="start")

    @router.message(CommandStart())
    async def start(message: Message, texts: UiTexts, trainee: UserRecord | None) -> None:
        if trainee is not None:
            await message.answer(texts.welcome_back, reply_markup=keyboards.main_menu(texts))
            return
        await message.answer(
            f"{texts.intro}\n\n<b>{texts.consent_question}</b>",
            reply_markup=keyboards.consent(texts),
        )

    @router.callback_query(ConsentCb.filter())
    async def consent(
        callback: CallbackQuery,
        callback_data: ConsentCb,
        bot: Bot,
        practice: PracticeService,
        texts: UiTexts,
    ) -> None:
        await callback.answer()
        if callback.message is None:
            return
        chat_id = callback.message.chat.id
        await drop_keyboard(bot, callback)
        if callback_data.answer is ConsentAnswer.NO:
            await bot.send_message(chat_id, texts.consent_declined)
            return
        await grant_consent(practice.store, callback.from_user.id)
        await bot.send_message(
            chat_id,
            f"{texts.consent_thanks}\n\n{texts.menu}",
            reply_markup=keyboards.main_menu(texts),
        )

    @router.message(Command("help"))
    async def help_command(message: Message, texts: UiTexts) -> None:
        await message.answer(texts.help)

    @router.callback_query(MenuCb.filter(F.item == MenuItem.HELP))
    async def help_button(callback: CallbackQuery, bot: Bot, texts: UiTexts) -> None:
        await callback.answer()
        await show(bot, callback, texts.help, keyboards.back_to_menu(texts))

    @router.message(Command("learn"))
    async def learn_command(message: Message, texts: UiTexts) -> None:
        await message.answer(texts.learn, reply_markup=keyboards.back_to_menu(texts))

    @router.callback_query(MenuCb.filter(F.item == MenuItem.LEARN))
    async def learn_button(callback: CallbackQuery, bot: Bot, texts: UiTexts) -> None:
        await callback.answer()
        await show(bot, callback, texts.learn, keyboards.back_to_menu(texts))

    @router.message(Command("menu"))
    async def menu_command(message: Message, texts: UiTexts) -> None:
        await message.answer(texts.menu, reply_markup=keyboards.main_menu(texts))

    @router.callback_query(MenuCb.filter(F.item == MenuItem.MENU))
    async def menu_button(callback: CallbackQuery, bot: Bot, texts: UiTexts) -> None:
        await callback.answer()
        await show(bot, callback, texts.menu, keyboards.main_menu(texts))

    return router
