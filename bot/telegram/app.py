"""Building the bot and its dispatcher, and running long polling.

`create_dispatcher` is the single wiring point: dependencies become dispatcher
workflow data, which aiogram hands to every handler that names them as parameters.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatType, ParseMode
from aiogram.types import BotCommand

from bot.config import Settings
from bot.practice.service import PracticeService
from bot.telegram.identity import ConsentGate
from bot.telegram.routers import errors, fallback, feedback, history, media, practice, start
from bot.telegram.routers.media import Transcriber
from bot.telegram.texts import UiTexts, load_texts
from bot.wiring import App, open_app

log = logging.getLogger(__name__)

POLLING_TIMEOUT_S = 30


def create_bot(settings: Settings) -> Bot:
    """A bot for the configured token; `TELEGRAM_API_URL` points it at a self-hosted server."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    session = None
    if settings.telegram_api_url:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(
        token=settings.telegram_bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def private_chats(practice_service: PracticeService, texts: UiTexts) -> Router:
    """The trainee's practice in a private chat, behind the consent gate."""
    door = Router(name="private")
    door.message.filter(F.chat.type == ChatType.PRIVATE)
    door.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    gate = ConsentGate(practice_service.store, texts)
    door.message.outer_middleware(gate)
    door.callback_query.outer_middleware(gate)
    door.include_routers(
        start.create_router(),
        practice.create_router(),
        feedback.create_router(),
        history.create_router(),
        media.create_router(),
        fallback.create_router(),
    )
    return door


def create_dispatcher(
    *,
    practice: PracticeService,
    texts: UiTexts,
    transcriber: Transcriber | None = None,
    session_seed: int | None = None,
) -> Dispatcher:
    """`session_seed` fixes the scripted patient's choices (tests); None means random."""
    dp = Dispatcher(
        practice=practice,
        texts=texts,
        transcriber=transcriber,
        session_seed=session_seed,
    )
    dp.include_routers(errors.create_router(), private_chats(practice, texts))
    return dp


def bot_commands(texts: UiTexts) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=description)
        for name, description in texts.commands.model_dump().items()
    ]


async def set_commands(bot: Bot, texts: UiTexts) -> None:
    await bot.set_my_commands(bot_commands(texts))


def app_dispatcher(app: App, texts: UiTexts) -> Dispatcher:
    """The dispatcher for a running app: wired to it, and announcing itself at start-up."""
    dp = create_dispatcher(practice=app.practice, texts=texts, transcriber=app.transcriber)

    async def on_startup(bot: Bot) -> None:
        await bot.delete_webhook(drop_pending_updates=False)
        await set_commands(bot, texts)
        me = await bot.get_me()
        log.info("Rupture Coach is running as @%s", me.username)

    dp.startup.register(on_startup)
    return dp


async def run_polling(settings: Settings) -> None:
    """Serve until interrupted. Sessions live in the database, so a restart loses nothing."""
    texts = load_texts(settings.content_dir)
    async with open_app(settings) as app:
        bot = create_bot(settings)
        dp = app_dispatcher(app, texts)
        await dp.start_polling(bot, polling_timeout=POLLING_TIMEOUT_S)
