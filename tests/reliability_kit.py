"""Helpers for the reliability tests: a persona with room for long sessions, counting
engines, and a practice service swapped into a rig."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from bot.domain.catalog import Catalog, load_catalog
from bot.domain.engine import PatientEngine, PatientReply, PatientTurnRequest
from bot.domain.evaluation import Judge, RuptureMoment, TurnEvaluation
from bot.practice.service import PracticeService
from bot.telegram.app import create_dispatcher
from bot.telegram.runtime import Runtime
from tests.telegram_kit import ROOT, Rig, crisis

PERSONA = "homework-pointless"
#: a reply the rule judge neither rewards nor punishes much, so the session runs on
NEUTRAL = "Okay, go on."


def roomy_catalog(tmp_path: Path, turn_limit: int = 40) -> Catalog:
    """The shipped personas, with the homework persona allowed `turn_limit` turns."""
    personas = tmp_path / "personas"
    if not personas.exists():
        shutil.copytree(ROOT / "personas", personas)
        path = personas / f"{PERSONA}.yaml"
        text = path.read_text()
        assert "  turn_limit: 12\n" in text
        path.write_text(text.replace("  turn_limit: 12\n", f"  turn_limit: {turn_limit}\n"))
    catalog = load_catalog(personas, ROOT / "rubrics")
    assert not catalog.problems, catalog.problems
    return catalog


@dataclass
class Overlap:
    """Counts how many calls run at once, across every engine that shares it."""

    now: int = 0
    most: int = 0
    calls: int = 0


@dataclass
class CountingJudge:
    inner: Judge
    overlap: Overlap = field(default_factory=Overlap)
    name: str = "rules"
    calls_model: bool = True  # stands in for a model-backed judge
    replies: list[str] = field(default_factory=list)

    async def evaluate(self, moment: RuptureMoment) -> TurnEvaluation:
        self.replies.append(moment.reply)
        self.overlap.now += 1
        self.overlap.calls += 1
        self.overlap.most = max(self.overlap.most, self.overlap.now)
        try:
            await asyncio.sleep(0.01)
            return await self.inner.evaluate(moment)
        finally:
            self.overlap.now -= 1


@dataclass
class CountingPatient:
    inner: PatientEngine
    calls: int = 0
    name: str = "scripted"
    calls_model: bool = True

    async def respond(self, request: PatientTurnRequest) -> PatientReply:
        self.calls += 1
        return await self.inner.respond(request)


def swap_practice(
    r: Rig,
    *,
    catalog: Catalog | None = None,
    patient: PatientEngine | None = None,
    judge: Judge | None = None,
    runtime: Runtime | None = None,
) -> PracticeService:
    """Rebuild the rig's service and dispatcher around other engines or content."""
    practice = PracticeService(
        catalog=catalog or r.practice.catalog,
        store=r.store,
        patient=patient or r.patient,
        judge=judge or r.judge,
        crisis=crisis(),
    )
    r.practice = practice
    r.patient = practice.patient
    r.judge = practice.judge
    r.dp = create_dispatcher(
        practice=practice,
        texts=r.texts,
        transcriber=r.transcriber,
        session_seed=r.seed,
        runtime=runtime,
    )
    return practice
