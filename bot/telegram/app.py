"""Building the bot and its dispatcher, and running long polling.

`create_dispatcher` is the single wiring point: dependencies become dispatcher
workflow data, which aiogram hands to every handler that names them as parameters.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ChatType, ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats
from aiogram.utils.token import TokenValidationError, validate_token

from bot.cohort_wiring import Cohorts
from bot.config import Settings
from bot.learning import LearningService
from bot.learning.quiz_polls import QuizPollStore
from bot.practice.service import PracticeService
from bot.telegram.delivery import RetryAfterMiddleware
from bot.telegram.filters import on_loop
from bot.telegram.identity import ConsentGate
from bot.telegram.response_models import PinResponseModels
from bot.telegram.routers import cohorts as cohort_routers
from bot.telegram.routers import errors, fallback, feedback, history, media, practice, start
from bot.telegram.routers import learning as learning_routers
from bot.telegram.routers import privacy as privacy_router
from bot.telegram.routers.media import Transcriber
from bot.telegram.runtime import Runtime, keep_purging, open_runtime, turn_budget_s
from bot.telegram.texts import UiTexts, load_texts
from bot.wiring import App, open_app

log = logging.getLogger(__name__)

POLLING_TIMEOUT_S = 30


class TokenRejected(Exception):
    """Telegram answered 401: the token is revoked or wrong."""


class BotApiUnreachable(Exception):
    """The Bot API could not be reached; the message says why."""


def token_is_well_formed(token: str) -> bool:
    try:
        validate_token(token)
    except TokenValidationError:
        return False
    return True


@contextmanager
def _start_errors() -> Iterator[None]:
    """Turn aiogram's start-up failures into errors the CLI can state in one line."""
    try:
        yield
    except TelegramUnauthorizedError as exc:
        raise TokenRejected from exc
    except TelegramNetworkError as exc:
        raise BotApiUnreachable(exc.message) from exc


def create_bot(settings: Settings) -> Bot:
    """A bot for the configured token; `TELEGRAM_API_URL` points it at a self-hosted server."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    url = settings.telegram_api_url
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(url) if url else PRODUCTION,
        # aiogram's default of 100 made "typing…" seconds late in a burst of trainees
        limit=settings.telegram_max_connections,
    )
    bot = Bot(
        token=settings.telegram_bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )
    bot.session.middleware(RetryAfterMiddleware())
    bot.session.middleware(PinResponseModels())
    return bot


def private_chats(
    practice_service: PracticeService,
    texts: UiTexts,
    cohorts: Cohorts | None = None,
    *,
    with_learning: bool = False,
) -> Router:
    """The trainee's practice in a private chat, behind the consent gate."""
    door = Router(name="private")
    door.message.filter(on_loop(F.chat.type == ChatType.PRIVATE))
    door.callback_query.filter(on_loop(F.message.chat.type == ChatType.PRIVATE))
    gate = ConsentGate(practice_service.store, texts)
    door.message.outer_middleware(gate)
    door.callback_query.outer_middleware(gate)
    door.include_router(practice.replies_router())
    if cohorts is not None:
        door.include_router(cohort_routers.private_router())
    if with_learning:
        door.include_router(learning_routers.private_router())
    door.include_routers(
        start.create_router(),
        practice.create_router(),
        feedback.create_router(),
        history.create_router(),
        media.create_router(),
        privacy_router.create_router(),
        fallback.create_router(),
    )
    return door


def create_dispatcher(
    *,
    practice: PracticeService,
    texts: UiTexts,
    transcriber: Transcriber | None = None,
    session_seed: int | None = None,
    runtime: Runtime | None = None,
    cohorts: Cohorts | None = None,
    learning: LearningService | None = None,
    quiz_polls: QuizPollStore | None = None,
) -> Dispatcher:
    """`session_seed` fixes the scripted patient's choices (tests); None means random.

    `runtime` holds what replicas share (Redis) or one process keeps (the default, memory).
    Without `learning` (no curriculum loaded), /learn shows the short primer instead.
    """
    dp = (runtime or Runtime.in_memory()).dispatcher(
        practice=practice,
        texts=texts,
        transcriber=transcriber,
        session_seed=session_seed,
        cohorts=cohorts,
        learning=learning,
        quiz_polls=quiz_polls,
    )
    dp.include_routers(
        errors.create_router(),
        private_chats(practice, texts, cohorts, with_learning=learning is not None),
    )
    if cohorts is not None:
        dp.include_router(cohort_routers.group_router())
    if learning is not None and quiz_polls is not None:
        dp.include_router(learning_routers.group_router())
    return dp


def bot_commands(texts: UiTexts, *, groups: bool = False) -> list[BotCommand]:
    """The command menu of private chats, or with `groups` the one of group chats."""
    listed = texts.group_commands if groups else texts.commands
    return [
        BotCommand(command=name, description=description)
        for name, description in listed.model_dump().items()
    ]


async def set_commands(bot: Bot, texts: UiTexts) -> None:
    await bot.set_my_commands(bot_commands(texts))
    await bot.set_my_commands(
        bot_commands(texts, groups=True), scope=BotCommandScopeAllGroupChats()
    )


def app_dispatcher(
    app: App, texts: UiTexts, runtime: Runtime | None = None, *, webhook: bool = False
) -> Dispatcher:
    """The dispatcher for a running app: wired to it, and announcing itself at start-up.

    At shutdown it waits for in-flight turns (`SHUTDOWN_GRACE_SECONDS`) before anything
    they need is closed; with `RETENTION_DAYS` it purges old sessions while it runs.
    """
    runtime = runtime or Runtime.in_memory()
    dp = create_dispatcher(
        practice=app.practice,
        texts=texts,
        transcriber=app.transcriber,
        runtime=runtime,
        cohorts=app.cohorts,
        learning=app.learning,
        quiz_polls=app.quiz_polls,
    )

    async def on_startup(bot: Bot) -> None:
        if not webhook:
            await bot.delete_webhook(drop_pending_updates=False)
        await set_commands(bot, texts)
        me = await bot.get_me()
        log.info("Rupture Coach is running as @%s", me.username)
        settle_memory()

    async def on_shutdown() -> None:
        await runtime.in_flight.drain(app.settings.shutdown_grace_seconds)

    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
    if app.settings.retention_days:
        keep_purging(dp, app.store, app.settings.retention_days)
    return dp


#: allocations between collections of the youngest generation (CPython's default: 700)
GC_YOUNG_OBJECTS = 10_000


def settle_memory() -> None:
    """Put what startup built (modules, schemas, compiled rubrics, pools) out of the GC's way.

    A full collection otherwise re-scans these ~350,000 long-lived objects each time: with
    1,000 trainees replying at once, a burst's full collections took 0.8 s of its 4.7 s,
    frozen 0.16 s (`python -m benchmarks.profile_turn --burst 1000`). Collected first, so
    nothing unreachable is frozen; objects made later are collected as usual.

    The youngest generation is then collected every `GC_YOUNG_OBJECTS` allocations instead
    of every 700: a turn allocates thousands of short-lived objects (parsed updates,
    requests, rows), and with 1,000 trainees at once the default ran ~350 collections a
    burst, 0.46 s of its 2.7 s; at 10,000, 0.15 s.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_OBJECTS, middle, old)


async def run_polling(settings: Settings) -> None:
    """Serve until interrupted. Sessions live in the database, so a restart loses nothing."""
    texts = load_texts(settings.content_dir)
    async with open_app(settings) as app:
        runtime = open_runtime(settings.redis_url, turn_budget_s=turn_budget_s(settings))
        try:
            bot = create_bot(settings)
            dp = app_dispatcher(app, texts, runtime)
            with _start_errors():
                await dp.start_polling(bot, polling_timeout=POLLING_TIMEOUT_S)
        finally:
            await runtime.close()


async def run_webhook(settings: Settings) -> None:
    """Serve Telegram's webhook until SIGTERM/SIGINT (see `bot.telegram.webhook`)."""
    from bot.telegram.webhook import serve_webhook, stop_on_signals

    texts = load_texts(settings.content_dir)
    async with open_app(settings) as app:
        runtime = open_runtime(settings.redis_url, turn_budget_s=turn_budget_s(settings))
        try:
            bot = create_bot(settings)
            dp = app_dispatcher(app, texts, runtime, webhook=True)
            stop = asyncio.Event()
            stop_on_signals(stop)
            with _start_errors():
                await serve_webhook(
                    dp, bot, store=app.store, runtime=runtime, settings=settings, stop=stop
                )
        finally:
            await runtime.close()
