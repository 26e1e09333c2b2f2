"""/learn: the module menu with each module's progress, a module's card, theory pages."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.learning import LearningService
from bot.practice.records import UserRecord
from bot.telegram.callbacks import MenuCb, MenuItem
from bot.telegram.learn_callbacks import ModuleCb, TheoryCb
from bot.telegram.learn_views import menu_screen, module_screen, theory_screen
from bot.telegram.presenters import show
from bot.telegram.texts import UiTexts


async def module_menu(
    learning: LearningService, texts: UiTexts, trainee: UserRecord
) -> tuple[str, InlineKeyboardMarkup]:
    statuses = await learning.module_status(trainee.id)
    resume = await learning.resume(trainee.id)
    return menu_screen(texts, learning, statuses, resume)


def create_router() -> Router:
    router = Router(name="learn")

    @router.message(Command("learn"))
    async def learn_command(
        message: Message, learning: LearningService, texts: UiTexts, trainee: UserRecord
    ) -> None:
        text, markup = await module_menu(learning, texts, trainee)
        await message.answer(text, reply_markup=markup)

    @router.callback_query(MenuCb.filter(F.item == MenuItem.LEARN))
    async def learn_button(
        callback: CallbackQuery,
        bot: Bot,
        learning: LearningService,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        await callback.answer()
        text, markup = await module_menu(learning, texts, trainee)
        await show(bot, callback, text, markup)

    @router.callback_query(ModuleCb.filter())
    async def module_card(
        callback: CallbackQuery,
        callback_data: ModuleCb,
        bot: Bot,
        learning: LearningService,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        module = learning.module(callback_data.module)
        statuses = await learning.module_status(trainee.id)
        status = next(s for s in statuses if s.module_id is module.id)
        await callback.answer()
        text, markup = module_screen(texts, module, status)
        await show(bot, callback, text, markup)

    @router.callback_query(TheoryCb.filter())
    async def theory(
        callback: CallbackQuery,
        callback_data: TheoryCb,
        bot: Bot,
        learning: LearningService,
        texts: UiTexts,
    ) -> None:
        module = learning.module(callback_data.module)
        learning.theory_page(module.id, callback_data.page)  # a page that is gone says so
        await callback.answer()
        text, markup = theory_screen(texts, module, callback_data.page)
        await show(bot, callback, text, markup)

    return router
