"""Errors: a `PracticeError` or `LearningError` is shown as it is (its text is user-safe);
anything else is logged without message content and answered with a generic apology, never
a traceback."""

from __future__ import annotations

import logging
import traceback

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent

from bot.learning.service import LearningError
from bot.practice.service import PracticeError, PracticeService
from bot.telegram.formatting import esc
from bot.telegram.identity import CHANNEL
from bot.telegram.texts import UiTexts

log = logging.getLogger(__name__)
ALERT_LIMIT = 200


async def tell(event: ErrorEvent, bot: Bot, text: str) -> None:
    """Answer where the failed update came from: a button alert, else a chat message."""
    update = event.update
    chat_id: int | None = None
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text[:ALERT_LIMIT], show_alert=True)
            return
        except TelegramAPIError:  # already answered before the failure
            message = update.callback_query.message
            chat_id = message.chat.id if message is not None else None
    elif update.message is not None:
        chat_id = update.message.chat.id
    if chat_id is None:
        return
    try:
        await bot.send_message(chat_id, esc(text))
    except TelegramAPIError:
        log.warning("could not tell the user about an error in update %s", update.update_id)


def create_router() -> Router:
    router = Router(name="errors")

    @router.error(ExceptionTypeFilter(TelegramForbiddenError))
    async def blocked(event: ErrorEvent, practice: PracticeService) -> None:
        """Blocked in a private chat: mark them inactive (data kept) and don't write again.

        (In a group the same error means the bot was removed; nobody is marked then.)
        """
        update = event.update
        query = update.callback_query
        message = update.message or (query.message if query else None)
        sender = (
            update.message.from_user if update.message else (query.from_user if query else None)
        )
        if sender is None or message is None or message.chat.id != sender.id:
            log.info("update %s: the bot may not write to that chat", update.update_id)
            return
        user = await practice.store.find_user(CHANNEL, str(sender.id))
        if user is not None:
            await practice.store.set_active(user.id, False)
        log.info("update %s: the user blocked the bot; marked inactive", update.update_id)

    @router.error(ExceptionTypeFilter(PracticeError, LearningError))
    async def practice_error(event: ErrorEvent, bot: Bot) -> None:
        await tell(event, bot, str(event.exception))

    @router.error()
    async def unexpected(event: ErrorEvent, bot: Bot, texts: UiTexts) -> None:
        exc = event.exception
        # The frames, not the message: an exception's text may quote the trainee.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error(
            "update %s failed with %s\n%s", event.update.update_id, type(exc).__name__, frames
        )
        await tell(event, bot, texts.error)

    return router
