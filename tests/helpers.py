"""Small builders shared by tests."""

from __future__ import annotations

from pathlib import Path

from bot.domain.catalog import load_persona
from bot.domain.evaluation import TurnEvaluation
from bot.domain.ids import Pitfall, RepairStrategy
from bot.domain.persona import Persona
from bot.domain.templates import PromptRenderer

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = ROOT / "personas"


def persona(persona_id: str = "homework-pointless") -> Persona:
    return load_persona(PERSONAS / f"{persona_id}.yaml", PromptRenderer(PERSONAS / "templates"))


def good(*moves: RepairStrategy, rating: int = 4) -> TurnEvaluation:
    return TurnEvaluation(moves=moves or (RepairStrategy.METACOMMUNICATION,), rating=rating)


def bad(*pitfalls: Pitfall, rating: int = 1) -> TurnEvaluation:
    return TurnEvaluation(pitfalls=pitfalls or (Pitfall.DEFENSIVE,), rating=rating)
