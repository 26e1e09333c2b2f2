"""The Telegram rig with trainers and groups wired in (`bot.cohort_wiring`), as the app wires it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.cohort_wiring import Cohorts, build_cohorts
from bot.domain.templates import PromptRenderer
from bot.judges.rules import RuleJudge
from bot.telegram.app import create_dispatcher
from tests.telegram_kit import ROOT, USER, Rig, catalog, rig, settings_for

ADMIN = 1001
TRAINER = 2002
OTHER_TRAINER = 3003
TRAINEE = USER
OTHER_TRAINEE = 5151
GROUP = -100777


@dataclass
class CohortRig:
    r: Rig
    cohorts: Cohorts

    async def say(self, text: str, user: int) -> None:
        await self.r.say(text, user)

    async def tap(self, text: str, user: int) -> None:
        await self.r.tap(text, user)

    async def say_in_group(self, text: str, user: int, chat: int = GROUP) -> None:
        await self.r.send(self.r.tg.text(user, text, chat=self.r.tg.group_chat(chat)))

    async def tap_in_group(self, text: str, user: int, chat: int = GROUP) -> None:
        message, data = self.r.tg.find_button(chat, text)
        update = self.r.tg.callback(user, data, message)
        await self.r.send(update)

    def last(self, chat: int) -> dict[str, Any]:
        return self.r.tg.last_message(chat)

    def last_text(self, chat: int) -> str:
        return str(self.last(chat).get("text", ""))

    async def make_trainer(self, user: int = TRAINER) -> None:
        await self.r.consent(user)
        await self.r.say(f"/promote {user}", ADMIN)

    async def new_cohort(self, name: str = "Spring CBT", user: int = TRAINER) -> str:
        """Creates a cohort; returns its invite token."""
        await self.r.say(f"/newcohort {name}", user)
        text = self.last_text(user)
        return text.rsplit("?start=", 1)[1].split()[0]

    async def join(self, token: str, user: int) -> None:
        await self.r.say(f"/start {token}", user)


@asynccontextmanager
async def cohort_rig(tmp_path: Path, **kwargs: Any) -> AsyncIterator[CohortRig]:
    async with rig(tmp_path, **kwargs) as r:
        settings = settings_for(r.tg, r.database_url, admin_ids=[ADMIN])
        cohorts = await build_cohorts(
            settings,
            r.engine,
            catalog(),
            PromptRenderer(ROOT / "personas" / "templates"),
            r.store,
            RuleJudge(catalog().rubrics),
        )
        r.practice.persona_source = cohorts.library
        r.dp = create_dispatcher(
            practice=r.practice,
            texts=r.texts,
            transcriber=r.transcriber,
            session_seed=r.seed,
            cohorts=cohorts,
        )
        await r.consent(ADMIN)
        yield CohortRig(r, cohorts)
