"""What no other handler took: unknown commands and stale or forged buttons."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.telegram.filters import on_loop
from bot.telegram.texts import UiTexts


def create_router() -> Router:
    router = Router(name="fallback")

    @router.message(on_loop(F.text.startswith("/")))
    async def unknown_command(message: Message, texts: UiTexts) -> None:
        await message.answer(texts.unknown_command)

    @router.callback_query()
    async def unknown_button(callback: CallbackQuery, texts: UiTexts) -> None:
        await callback.answer(texts.button_refused, show_alert=True)

    return router
