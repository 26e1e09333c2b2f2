"""`python -m bot webhook`: updates posted by Telegram, the secret header, /healthz, and a
graceful shutdown with a turn in flight."""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.cli.telegram import ERROR_WEBHOOK, run_webhook_server
from bot.config import Settings
from bot.domain.ids import Speaker
from bot.telegram.app import app_dispatcher, create_bot
from bot.telegram.runtime import Runtime
from bot.telegram.webhook import serve_webhook, webhook_path
from bot.wiring import App, open_app
from tests.fakes.openai_server import FakeOpenAI, FakeReply
from tests.fakes.telegram_server import FakeTelegram
from tests.telegram_kit import USER, settings_for, texts
from tests.test_telegram_practice import META

SECRET = "s3cret-token_for-tests"
PUBLIC_URL = "https://coach.example.org/telegram/webhook"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
MODEL_LINE = "Fine. Say what you mean, then."


async def until(condition: Callable[[], bool], within_s: float = 20.0) -> None:
    async with asyncio.timeout(within_s):
        for _ in itertools.count():
            if condition():
                return
            await asyncio.sleep(0.01)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    tg: FakeTelegram
    app: App
    url: str
    stop: asyncio.Event
    task: asyncio.Task[None]
    runtime: Runtime

    @property
    def base(self) -> str:
        return self.url.rsplit("/telegram/webhook", 1)[0]

    async def post(
        self, update: dict[str, Any] | bytes, secret: str | None = SECRET
    ) -> aiohttp.ClientResponse:
        headers = {HEADER: secret} if secret is not None else {}
        async with aiohttp.ClientSession() as http:
            kwargs: dict[str, Any] = {"data": update} if isinstance(update, bytes) else {}
            if not isinstance(update, bytes):
                kwargs["json"] = update
            async with http.post(self.url, headers=headers, **kwargs) as response:
                await response.read()
                return response

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{self.base}/healthz") as response,
        ):
            return response.status, await response.json()

    async def say(self, text: str) -> None:
        assert (await self.post(self.tg.text(USER, text))).status == 200

    async def tap(self, button: str) -> None:
        assert (await self.post(self.tg.tap(USER, button))).status == 200


@asynccontextmanager
async def webhook_server(
    tg: FakeTelegram, settings: Settings, runtime: Runtime | None = None
) -> AsyncIterator[Server]:
    runtime = runtime or Runtime.in_memory()
    async with open_app(settings) as app:
        bot = create_bot(settings)
        dp = app_dispatcher(app, texts(), runtime, webhook=True)
        port = free_port()
        stop = asyncio.Event()
        registered = len(tg.calls_to("setWebhook"))
        task = asyncio.create_task(
            serve_webhook(
                dp,
                bot,
                store=app.store,
                runtime=runtime,
                settings=settings,
                stop=stop,
                port=port,
            )
        )
        await tg.wait_for("setWebhook", registered + 1)  # registered once it listens
        server = Server(tg, app, f"http://127.0.0.1:{port}/telegram/webhook", stop, task, runtime)
        try:
            yield server
        finally:
            stop.set()
            await task
            await runtime.close()


def webhook_settings(tg: FakeTelegram, tmp_path: Path, **overrides: Any) -> Settings:
    return settings_for(
        tg,
        f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}",
        webhook_url=PUBLIC_URL,
        webhook_secret=SECRET,
        **overrides,
    )


async def start_practising(server: Server) -> None:
    await server.say("/start")
    await server.tap("✅ I agree")
    await server.tap("🎭 Practise")
    await server.tap("Confrontation")
    await server.tap("The homework is pointless · ★")


async def test_updates_posted_with_the_secret_are_handled_others_refused(tmp_path: Path) -> None:
    async with (
        FakeTelegram() as tg,
        webhook_server(tg, webhook_settings(tg, tmp_path)) as server,
    ):
        (registered,) = tg.calls_to("setWebhook")
        assert registered.params["url"] == PUBLIC_URL
        assert registered.params["secret_token"] == SECRET
        assert "message" in registered.params["allowed_updates"]
        assert "deleteWebhook" not in tg.methods()
        assert await server.health() == (
            200,
            {"status": "ok", "database": "ok", "redis": "ok", "in_flight": 0},
        )

        for secret in (None, "wrong", SECRET + "x"):
            response = await server.post(tg.text(USER, "/start"), secret=secret)
            assert response.status == 401
        assert tg.sent_texts(USER) == []

        assert (await server.post(b"{not json")).status == 400
        assert (await server.post({"update_id": "x", "message": 5})).status == 400

        await server.say("/start")
        assert tg.sent_texts(USER) == [f"{texts().intro}\n\n<b>{texts().consent_question}</b>"]


async def test_shutdown_lets_the_turn_in_flight_finish_and_refuses_new_updates(
    tmp_path: Path,
) -> None:
    async with FakeOpenAI() as ai, FakeTelegram() as tg:
        settings = webhook_settings(
            tg,
            tmp_path,
            openai_base_url=ai.base_url,
            openai_api_key="k",
            model_timeout_seconds=10,
            model_max_retries=0,
        )
        async with webhook_server(tg, settings) as server:
            await start_practising(server)
            judged = FakeReply.json_content({"items": [], "rating": 3, "feedback": "Partly."})
            ai.enqueue(judged, FakeReply.slow(1.0, then=FakeReply.text(MODEL_LINE)))
            turn = asyncio.create_task(server.post(tg.text(USER, META)))
            await until(lambda: len(ai.chat_requests) == 2)  # the patient call is in flight
            server.stop.set()
            await until(lambda: server.runtime.in_flight.draining)

            assert await server.health() == (503, {"status": "draining"})
            late = await server.post(tg.text(USER, "Are you there?"))
            assert late.status == 503
            assert (await turn).status == 200
            await server.task
            assert tg.sent_texts(USER)[-1] == f"<b>Daniel:</b> {MODEL_LINE}"


async def test_a_turn_cut_off_at_shutdown_is_finished_once_when_telegram_redelivers_it(
    tmp_path: Path,
) -> None:
    async with FakeOpenAI() as ai, FakeTelegram() as tg:
        settings = webhook_settings(
            tg,
            tmp_path,
            openai_base_url=ai.base_url,
            openai_api_key="k",
            model_timeout_seconds=10,
            model_max_retries=0,
            shutdown_grace_seconds=0.2,
        )
        update = tg.text(USER, META)
        async with webhook_server(tg, settings) as server:
            await start_practising(server)
            judged = FakeReply.json_content({"items": [], "rating": 3, "feedback": "Partly."})
            ai.enqueue(judged, FakeReply.slow(5.0, then=FakeReply.text("Never sent.")))
            turn = asyncio.create_task(server.post(update))
            await until(lambda: len(ai.chat_requests) == 2)
            server.stop.set()
            await server.task
            try:
                status = (await turn).status
            except aiohttp.ClientError:
                status = 0  # the connection closed without an answer
            assert status != 200  # not acknowledged: Telegram will deliver it again
            user = await server.app.store.find_user("telegram", str(USER))
            assert user is not None
            cut = await server.app.store.active_session(user.id)
            assert cut is not None and cut.turns[-1].text == META

        mark = tg.mark()
        asked = len(ai.chat_requests)
        ai.enqueue(FakeReply.text(MODEL_LINE))  # the evaluation was stored before the cut
        async with webhook_server(tg, settings) as server:
            await server.post(update)  # Telegram's redelivery, to the restarted bot
            await server.post(update)
            assert tg.texts_since(mark) == [f"<b>Daniel:</b> {MODEL_LINE}"]
            assert len(ai.chat_requests) == asked + 1  # the patient only, once
            session = await server.app.store.active_session(user.id)
            assert session is not None
            replies = [t.text for t in session.turns if t.speaker is Speaker.TRAINEE]
            assert replies == [META]
            assert session.turns[-1].text == MODEL_LINE


def test_the_webhook_command_explains_missing_settings(tmp_path: Path) -> None:
    tg = FakeTelegram()
    url = f"sqlite:///{tmp_path / 'x.db'}"
    for overrides in ({}, {"webhook_url": PUBLIC_URL}, {"webhook_secret": SECRET}):
        err = io.StringIO()
        assert (
            run_webhook_server(argparse.Namespace(), settings_for(tg, url, **overrides), err) == 2
        )
        assert err.getvalue() == ERROR_WEBHOOK + "\n"
    err = io.StringIO()
    plain = settings_for(
        tg, url, webhook_url="http://coach.example.org/hook", webhook_secret=SECRET
    )
    assert run_webhook_server(argparse.Namespace(), plain, err) == 2
    assert "must start with https://" in err.getvalue()
    assert not (tmp_path / "x.db").exists()
    assert webhook_path(PUBLIC_URL) == "/telegram/webhook"
    assert webhook_path("https://coach.example.org") == "/telegram/webhook"
