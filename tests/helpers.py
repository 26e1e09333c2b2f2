"""Small builders shared by tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.domain.catalog import load_catalog, load_persona
from bot.domain.engine import PatientEngine
from bot.domain.evaluation import Judge, TurnEvaluation
from bot.domain.ids import Pitfall, RepairStrategy
from bot.domain.persona import Persona
from bot.domain.safety import CrisisDetector
from bot.domain.templates import PromptRenderer
from bot.judges.rules import RuleJudge
from bot.patients.scripted import ScriptedPatient
from bot.practice.service import PracticeService
from bot.storage import SqlPracticeStore, create_engine_for, upgrade_database

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = ROOT / "personas"


def persona(persona_id: str = "homework-pointless") -> Persona:
    return load_persona(PERSONAS / f"{persona_id}.yaml", PromptRenderer(PERSONAS / "templates"))


def good(*moves: RepairStrategy, rating: int = 4) -> TurnEvaluation:
    return TurnEvaluation(moves=moves or (RepairStrategy.METACOMMUNICATION,), rating=rating)


def bad(*pitfalls: Pitfall, rating: int = 1) -> TurnEvaluation:
    return TurnEvaluation(pitfalls=pitfalls or (Pitfall.DEFENSIVE,), rating=rating)


@asynccontextmanager
async def open_practice(
    database_url: str,
    *,
    patient: PatientEngine | None = None,
    judge: Judge | None = None,
) -> AsyncIterator[PracticeService]:
    """The practice service over a real database, offline engines by default."""
    catalog = load_catalog(PERSONAS, ROOT / "rubrics")
    await upgrade_database(database_url)
    engine = create_engine_for(database_url)
    try:
        yield PracticeService(
            catalog=catalog,
            store=SqlPracticeStore(engine),
            patient=patient or ScriptedPatient(),
            judge=judge or RuleJudge(catalog.rubrics),
            crisis=CrisisDetector.from_file(ROOT / "content" / "safety.yaml"),
        )
    finally:
        await engine.dispose()
