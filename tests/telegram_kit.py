"""A Telegram test rig: the real aiogram Bot and Dispatcher, the fake Bot API over HTTP,
and a PracticeService over a temporary SQLite file, built the way `bot.wiring` builds it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.domain.catalog import Catalog, load_catalog
from bot.domain.engine import PatientEngine
from bot.domain.evaluation import Judge
from bot.domain.safety import CrisisDetector
from bot.judges.rules import RuleJudge
from bot.learning import LearningCatalog, LearningService, load_learning
from bot.patients.scripted import ScriptedPatient
from bot.practice.records import UserRecord
from bot.practice.service import PracticeService
from bot.storage import SqlLearningStore, SqlPracticeStore, create_engine_for, upgrade_database
from bot.storage.quiz_repository import SqlQuizPollStore
from bot.telegram.app import create_bot, create_dispatcher
from bot.telegram.identity import CHANNEL
from bot.telegram.routers.media import Transcriber
from bot.telegram.texts import UiTexts, load_texts
from tests.fakes.telegram_server import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
USER = 4242
OTHER_USER = 5151
SEED = 7


@cache
def catalog() -> Catalog:
    return load_catalog(ROOT / "personas", ROOT / "rubrics")


@cache
def texts() -> UiTexts:
    return load_texts(ROOT / "content")


@cache
def curriculum() -> LearningCatalog:
    return load_learning(ROOT / "content" / "modules")


@cache
def crisis() -> CrisisDetector:
    return CrisisDetector.from_file(ROOT / "content" / "safety.yaml")


def settings_for(tg: FakeTelegram, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": tg.token,
        "telegram_api_url": tg.base_url,
        "database_url": database_url,
        "personas_dir": ROOT / "personas",
        "rubrics_dir": ROOT / "rubrics",
        "content_dir": ROOT / "content",
        "openai_api_key": None,
        "openai_base_url": None,
        "transcription_model": None,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@dataclass
class Rig:
    tg: FakeTelegram
    bot: Bot
    database_url: str
    database_file: Path
    engine: AsyncEngine
    store: SqlPracticeStore
    practice: PracticeService
    dp: Dispatcher
    patient: PatientEngine
    judge: Judge
    transcriber: Transcriber | None = None
    seed: int | None = SEED
    learning: LearningService | None = None
    quiz_polls: SqlQuizPollStore | None = None
    _engines: list[AsyncEngine] = field(default_factory=list)

    @property
    def texts(self) -> UiTexts:
        return texts()

    async def send(self, update: dict[str, Any]) -> None:
        await self.dp.feed_update(self.bot, self.tg.as_update(update))

    async def say(self, text: str, user: int = USER) -> None:
        await self.send(self.tg.text(user, text))

    async def tap(self, button_text: str, user: int = USER) -> None:
        await self.send(self.tg.tap(user, button_text))

    async def consent(self, user: int = USER) -> None:
        await self.say("/start", user)
        await self.tap(self.texts.buttons.agree, user)

    async def start_session(self, persona_id: str, user: int = USER) -> None:
        """Practise → rupture type → persona card, tapped as a (consented) user would."""
        await self.say("/menu", user)
        persona = self.practice.persona(persona_id)
        await self.tap(self.texts.buttons.practise, user)
        await self.tap(getattr(self.texts.buttons, persona.rupture_type.value), user)
        await self.tap(
            self.texts.persona_button.format(
                title=persona.title, difficulty=self.texts.difficulty_mark * persona.difficulty
            ),
            user,
        )

    async def trainee(self, user: int = USER) -> UserRecord:
        return await self.store.get_or_create_user(CHANNEL, str(user))

    def rows(self, table: str) -> int:
        """Rows in a table, read with the stdlib driver (nothing cached in the store)."""
        with sqlite3.connect(self.database_file) as db:
            count = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
        return int(count)

    async def restart(self, patient: PatientEngine | None = None) -> None:
        """A new store, service and dispatcher over the same database file, as after a crash."""
        self.engine = create_engine_for(self.database_url)
        self._engines.append(self.engine)
        self.store = SqlPracticeStore(self.engine)
        self.patient = patient or ScriptedPatient()
        self.practice = build_practice(self.store, self.patient, self.judge)
        self.learning = build_learning(self.engine, self.judge)
        self.quiz_polls = SqlQuizPollStore(self.engine)
        self.dp = create_dispatcher(
            practice=self.practice,
            texts=self.texts,
            transcriber=self.transcriber,
            session_seed=self.seed,
            learning=self.learning,
            quiz_polls=self.quiz_polls,
        )


def build_practice(
    store: SqlPracticeStore, patient: PatientEngine, judge: Judge
) -> PracticeService:
    return PracticeService(
        catalog=catalog(), store=store, patient=patient, judge=judge, crisis=crisis()
    )


def build_learning(engine: AsyncEngine, judge: Judge) -> LearningService:
    return LearningService(curriculum(), SqlLearningStore(engine), judge, crisis())


@asynccontextmanager
async def rig(
    tmp_path: Path,
    *,
    patient: PatientEngine | None = None,
    judge: Judge | None = None,
    transcriber: Transcriber | None = None,
    seed: int | None = SEED,
) -> AsyncIterator[Rig]:
    database_file = tmp_path / "coach.db"
    database_url = f"sqlite+aiosqlite:///{database_file}"
    await upgrade_database(database_url)
    engine = create_engine_for(database_url)
    async with FakeTelegram() as tg:
        bot = create_bot(settings_for(tg, database_url))
        store = SqlPracticeStore(engine)
        patient = patient or ScriptedPatient()
        judge = judge or RuleJudge(catalog().rubrics)
        practice = build_practice(store, patient, judge)
        learning = build_learning(engine, judge)
        quiz_polls = SqlQuizPollStore(engine)
        dp = create_dispatcher(
            practice=practice,
            texts=texts(),
            transcriber=transcriber,
            session_seed=seed,
            learning=learning,
            quiz_polls=quiz_polls,
        )
        r = Rig(
            tg=tg,
            bot=bot,
            database_url=database_url,
            database_file=database_file,
            engine=engine,
            store=store,
            practice=practice,
            dp=dp,
            patient=patient,
            judge=judge,
            transcriber=transcriber,
            seed=seed,
            learning=learning,
            quiz_polls=quiz_polls,
            _engines=[engine],
        )
        try:
            yield r
        finally:
            await bot.session.close()
            for each in r._engines:
                await each.dispose()


def plain_bot(tg: FakeTelegram) -> Bot:
    """A bot pointed at the fake without going through `create_bot`."""
    return Bot(tg.token, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
