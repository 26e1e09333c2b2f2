"""`python -m bot run`: token checks, long polling against the fake Bot API, and the model
patient behind "typing…"."""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
from pathlib import Path

from bot.adapters.openai_llm import LLMPatient, make_client
from bot.cli.telegram import ERROR_MALFORMED, ERROR_NOT_SET, run_bot
from bot.domain.templates import PromptRenderer
from bot.patients.scripted import ScriptedPatient
from bot.telegram.app import GC_YOUNG_OBJECTS, app_dispatcher, create_bot, settle_memory
from bot.wiring import open_app
from tests.fakes.openai_server import FakeOpenAI, FakeReply, RecordedRequest
from tests.fakes.telegram_server import FakeTelegram, next_sequence
from tests.telegram_kit import ROOT, USER, rig, settings_for, texts
from tests.test_telegram_practice import META, PERSONA

MODEL_LINE = "Fine. You want to talk about it now? Go on then."


def test_run_refuses_a_missing_or_malformed_token_in_one_line(tmp_path: Path) -> None:
    tg = FakeTelegram()
    for token, expected in ((None, ERROR_NOT_SET), ("not a token", ERROR_MALFORMED)):
        settings = settings_for(tg, f"sqlite:///{tmp_path / 'x.db'}", telegram_bot_token=token)
        err = io.StringIO()
        assert run_bot(argparse.Namespace(), settings, err) == 2
        assert err.getvalue() == expected + "\n"
    assert ERROR_NOT_SET == (
        "error: TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather and put it in .env "
        "(see .env.example)."
    )
    assert not (tmp_path / "x.db").exists()


async def test_long_polling_serves_a_trainee(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        settings = settings_for(tg, f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}")
        async with open_app(settings) as app:
            bot = create_bot(settings)
            dp = app_dispatcher(app, texts())
            tg.push(tg.text(USER, "/start"))
            polling = asyncio.create_task(
                dp.start_polling(bot, polling_timeout=1, handle_signals=False)
            )
            try:
                await tg.wait_for("sendMessage", 1)
                tg.push(tg.tap(USER, "✅ I agree"))
                await tg.wait_for("sendMessage", 2)
            finally:
                await dp.stop_polling()
                await polling
        assert tg.sent_texts(USER) == [
            f"{texts().intro}\n\n<b>{texts().consent_question}</b>",
            f"{texts().consent_thanks}\n\n{texts().menu}",
        ]
        assert [c.method for c in tg.calls[:4]] == [
            "deleteWebhook",
            "setMyCommands",
            "setMyCommands",
            "getMe",
        ]
        assert tg.commands_by_scope["all_group_chats"] == [
            {
                "command": "drill",
                "description": "A quick quiz for the group: which rupture marker is this?",
            },
            {"command": "review", "description": "Trainers: review a shared transcript together"},
        ]
        assert tg.commands == [
            {"command": "start", "description": "Introduction and consent"},
            {"command": "practice", "description": "Start a practice session"},
            {"command": "hint", "description": "A nudge toward a repair move"},
            {"command": "end", "description": "Finish the session and get feedback"},
            {"command": "history", "description": "Your past sessions"},
            {"command": "learn", "description": "Learning modules: theory, drills, prompts"},
            {"command": "progress", "description": "Your learning progress, charted"},
            {"command": "menu", "description": "The main menu"},
            {"command": "help", "description": "What this bot does"},
        ]


async def test_typing_shows_before_the_model_is_asked(tmp_path: Path) -> None:
    typing_seen_by_model: list[tuple[int, int]] = []
    tg_holder: list[FakeTelegram] = []

    def responder(request: RecordedRequest) -> FakeReply:
        typing = tg_holder[0].calls_to("sendChatAction")
        typing_seen_by_model.append((len(typing), next_sequence()))
        return FakeReply.text(MODEL_LINE)

    renderer = PromptRenderer(ROOT / "personas" / "templates")
    async with (
        FakeOpenAI(responder=responder) as ai,
        make_client(ai.base_url, "k", timeout_s=5, max_retries=0) as client,
        rig(tmp_path, patient=LLMPatient(client, "m", renderer, ScriptedPatient())) as r,
    ):
        tg_holder.append(r.tg)
        await r.consent()
        await r.start_session(PERSONA)
        mark = r.tg.mark()
        await r.say(META)
        calls = r.tg.since(mark)
        assert [c.method for c in calls] == ["sendChatAction", "sendMessage"]
        assert calls[1].params["text"] == f"<b>Daniel:</b> {MODEL_LINE}"
        assert len(ai.chat_requests) == 1
        ((typing_count, model_seq),) = typing_seen_by_model
        assert typing_count == 1
        assert calls[0].seq < model_seq < calls[1].seq


def test_startup_freezes_what_it_built_and_collects_young_objects_less_often() -> None:
    threshold = gc.get_threshold()
    try:
        settle_memory()
        assert gc.get_freeze_count() > 10_000  # modules, schemas, compiled rubrics
        assert gc.get_threshold() == (GC_YOUNG_OBJECTS, threshold[1], threshold[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
