"""`python -m bot webhook`: the bot as an aiohttp server Telegram posts updates to.

Several such replicas can run behind one load balancer, on one PostgreSQL and one Redis
(see `bot.telegram.runtime`). Each request is answered only after its update has been
handled, so an update whose handling was cut off is not acknowledged and Telegram
delivers it again. On SIGTERM the server stops accepting connections, reports
"draining" on /healthz, answers new updates with 503 (Telegram retries them, reaching
another replica), lets in-flight turns finish for `SHUTDOWN_GRACE_SECONDS` and hands
back the rest.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, Final
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.config import Settings
from bot.practice.store import PracticeStore
from bot.telegram.runtime import InFlight, Runtime

log = logging.getLogger(__name__)

DEFAULT_PATH: Final = "/telegram/webhook"
HEALTH_PATH: Final = "/healthz"
#: a read every healthy replica can answer (nobody has this id)
_PROBE: Final = ("health", "probe")


def webhook_path(url: str | None) -> str:
    """The local path: the public URL's path (a reverse proxy usually passes it through)."""
    path = urlsplit(url).path if url else ""
    return path if path not in ("", "/") else DEFAULT_PATH


class GuardedRequestHandler(SimpleRequestHandler):
    """aiogram's handler, refusing new updates while draining and malformed bodies with 400."""

    def __init__(
        self, dispatcher: Dispatcher, bot: Bot, secret_token: str, in_flight: InFlight
    ) -> None:
        super().__init__(
            dispatcher=dispatcher, bot=bot, handle_in_background=False, secret_token=secret_token
        )
        self.in_flight = in_flight

    async def handle(self, request: web.Request) -> web.Response:
        if self.in_flight.draining:
            return web.Response(status=503, text="shutting down", headers={"Retry-After": "1"})
        try:
            return await super().handle(request)
        except ValueError:  # malformed JSON or not an Update (pydantic's error is one too)
            return web.Response(status=400, text="not a Telegram update")

    __call__ = handle


def build_webhook_app(
    dp: Dispatcher,
    bot: Bot,
    *,
    store: PracticeStore,
    runtime: Runtime,
    secret: str,
    path: str = DEFAULT_PATH,
    grace_s: float = 25.0,
) -> web.Application:
    app = web.Application()

    async def drain(_: web.Application) -> None:
        await runtime.in_flight.drain(grace_s)

    # First of the shutdown hooks: in-flight turns still need the bot session and Redis.
    app.on_shutdown.append(drain)

    async def health(_: web.Request) -> web.Response:
        if runtime.in_flight.draining:
            return web.json_response({"status": "draining"}, status=503)
        checks = {"database": await _database_ok(store), "redis": await runtime.ping()}
        ok = all(checks.values())
        body: dict[str, Any] = {
            "status": "ok" if ok else "unhealthy",
            **{name: "ok" if good else "failing" for name, good in checks.items()},
            "in_flight": runtime.in_flight.count,
        }
        return web.json_response(body, status=200 if ok else 503)

    app.router.add_get(HEALTH_PATH, health)
    GuardedRequestHandler(dp, bot, secret, runtime.in_flight).register(app, path=path)
    setup_application(app, dp, bot=bot)
    return app


async def _database_ok(store: PracticeStore) -> bool:
    try:
        await store.find_user(*_PROBE)
    except Exception:  # any failure means "not healthy"; the reason goes to the log
        log.exception("health check: the database does not answer")
        return False
    return True


async def register_webhook(bot: Bot, dp: Dispatcher, settings: Settings) -> None:
    """Tell Telegram where to post (every replica does this; it is idempotent)."""
    if not settings.webhook_url or settings.webhook_secret is None:
        raise ValueError("WEBHOOK_URL and WEBHOOK_SECRET are required")
    await bot.set_webhook(
        url=settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=dp.resolve_used_update_types(),
        drop_pending_updates=False,
    )


async def serve(
    app: web.Application,
    host: str,
    port: int,
    stop: asyncio.Event,
    *,
    on_listening: Callable[[], Awaitable[None]] | None = None,
    drain: Callable[[], Awaitable[object]] | None = None,
) -> None:
    """Serve until `stop` is set, then shut down gracefully (see the module docstring).

    `on_listening` runs once the port is open (register the webhook then, not before);
    `drain` runs while the port is still open, so updates arriving meanwhile get a 503
    that sends Telegram to another replica instead of a refused connection.
    """
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        log.info("webhook server listening on %s:%s", host, port)
        if on_listening is not None:
            await on_listening()
        await stop.wait()
        log.info("stopping the webhook server")
        if drain is not None:
            await drain()
    finally:
        await runner.cleanup()


async def serve_webhook(
    dp: Dispatcher,
    bot: Bot,
    *,
    store: PracticeStore,
    runtime: Runtime,
    settings: Settings,
    stop: asyncio.Event,
    port: int | None = None,
) -> None:
    """The webhook server for `settings` until `stop`: registered, served, drained."""
    if settings.webhook_secret is None:
        raise ValueError("WEBHOOK_SECRET is not set")
    grace = settings.shutdown_grace_seconds
    web_app = build_webhook_app(
        dp,
        bot,
        store=store,
        runtime=runtime,
        secret=settings.webhook_secret.get_secret_value(),
        path=webhook_path(settings.webhook_url),
        grace_s=grace,
    )
    await serve(
        web_app,
        settings.webhook_host,
        settings.webhook_port if port is None else port,
        stop,
        on_listening=lambda: register_webhook(bot, dp, settings),
        drain=lambda: runtime.in_flight.drain(grace),
    )


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(sig, stop.set)
