"""Who is writing, and have they agreed to storage? (Nothing is stored before they do.)

A Telegram user is a store user with channel "telegram" and their Telegram id as
external id. The gate resolves that user for every private message and button tap
and hands handlers a `trainee: UserRecord`; someone who has not consented reaches
only /start, /help and the consent buttons, and gets a pointer to /start otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from bot.practice.records import UserRecord
from bot.practice.store import PracticeStore
from bot.telegram.callbacks import ConsentCb, MenuCb, MenuItem
from bot.telegram.texts import UiTexts

CHANNEL = "telegram"
OPEN_COMMANDS = ("/start", "/help")

log = logging.getLogger(__name__)


async def find_trainee(store: PracticeStore, telegram_id: int) -> UserRecord | None:
    """The consented store user behind a Telegram id, or None; creates nothing."""
    user = await store.find_user(CHANNEL, str(telegram_id))
    return user if user is not None and user.consented else None


async def grant_consent(store: PracticeStore, telegram_id: int) -> UserRecord:
    user = await store.get_or_create_user(CHANNEL, str(telegram_id))
    await store.set_consent(user.id, True)
    return user.model_copy(update={"consented": True})


def _is_open(event: TelegramObject) -> bool:
    """What a user may reach before consenting: it shows text and stores nothing."""
    if isinstance(event, Message):
        command = (event.text or "").split(maxsplit=1)[0].split("@")[0] if event.text else ""
        return command in OPEN_COMMANDS
    if isinstance(event, CallbackQuery):
        data = event.data or ""
        return (
            data.startswith(f"{ConsentCb.__prefix__}:") or data == MenuCb(item=MenuItem.HELP).pack()
        )
    return False


def _is_private(event: TelegramObject) -> bool:
    if isinstance(event, Message):
        return event.chat.type == ChatType.PRIVATE
    if isinstance(event, CallbackQuery):
        message = event.message
        return message is not None and message.chat.type == ChatType.PRIVATE
    return False


class ConsentGate(BaseMiddleware):
    """Outer middleware for the private-chat routers: sets `trainee` or stops the event."""

    def __init__(self, store: PracticeStore, texts: UiTexts) -> None:
        self.store = store
        self.texts = texts

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot or not _is_private(event):
            data["trainee"] = None
            return await handler(event, data)
        trainee = await find_trainee(self.store, user.id)
        if trainee is not None and not trainee.active:  # they unblocked the bot
            await self.store.set_active(trainee.id, True)
            trainee = trainee.model_copy(update={"active": True})
        data["trainee"] = trainee
        if trainee is None and not _is_open(event):
            if isinstance(event, CallbackQuery):
                await event.answer(_plain(self.texts.consent_required), show_alert=True)
            elif isinstance(event, Message):
                await event.answer(self.texts.consent_required)
            return None
        return await handler(event, data)


def _plain(text: str) -> str:
    """Alerts are plain text: drop the few tags interface texts may carry."""
    for tag in ("b", "i", "code"):
        text = text.replace(f"<{tag}>", "").replace(f"</{tag}>", "")
    return text
