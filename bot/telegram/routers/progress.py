"""/progress ("My progress"): recognition per rupture family and repair moves per skill
over time, as a chart, with a summary and the next suggested exercise."""

from __future__ import annotations

import asyncio

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.learning import LearningService
from bot.practice.records import UserRecord
from bot.progress_chart import progress_chart
from bot.telegram.callbacks import MenuCb, MenuItem
from bot.telegram.presenters import send_long
from bot.telegram.progress_views import progress_html, progress_keyboard
from bot.telegram.texts import UiTexts


async def send_progress(
    bot: Bot, chat_id: int, learning: LearningService, texts: UiTexts, trainee: UserRecord
) -> None:
    """The chart first (once there is something to chart), then the summary and what next."""
    progress = await learning.progress(trainee.id)
    if progress.drills_answered or progress.prompts_answered:
        await bot.send_chat_action(chat_id=chat_id, action=ChatAction.UPLOAD_PHOTO)
        png = await asyncio.to_thread(progress_chart, progress, learning.catalog.glossary.labels)
        await bot.send_photo(
            chat_id,
            BufferedInputFile(png, filename="progress.png"),
            caption=texts.learning.chart_caption,
        )
    await send_long(
        bot,
        chat_id,
        progress_html(texts, learning, progress),
        progress_keyboard(texts, learning, progress.suggestion),
    )


def create_router() -> Router:
    router = Router(name="progress")

    @router.message(Command("progress"))
    async def progress_command(
        message: Message,
        bot: Bot,
        learning: LearningService,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        await send_progress(bot, message.chat.id, learning, texts, trainee)

    @router.callback_query(MenuCb.filter(F.item == MenuItem.PROGRESS))
    async def progress_button(
        callback: CallbackQuery,
        bot: Bot,
        learning: LearningService,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        await callback.answer()
        if callback.message is not None:
            await send_progress(bot, callback.message.chat.id, learning, texts, trainee)

    return router
