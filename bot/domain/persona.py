"""Persona templates: the simulated patient a trainer writes as a YAML file.

A persona is untrusted content. It is validated here (structure, canonical ids,
every stage and tension band scripted) and its templates are rendered only in
Jinja2's immutable sandbox (see `templates.py`).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from bot.domain.ids import (
    MARKER_IDS,
    PROGRESSIONS,
    ConfrontationMarker,
    Pitfall,
    RepairStrategy,
    RuptureType,
    Stage,
    TensionBand,
    WithdrawalMarker,
)

PERSONA_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,47}$")
Language = Literal["en", "de"]
Line = Annotated[str, Field(min_length=1, max_length=1200)]


def _known_marker(value: object) -> object:
    if isinstance(value, str) and value not in MARKER_IDS:
        raise ValueError(
            f"got {value!r}; expected one of {', '.join(repr(m) for m in sorted(MARKER_IDS))}"
        )
    return value


MarkerId = Annotated[WithdrawalMarker | ConfrontationMarker, BeforeValidator(_known_marker)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatientProfile(_Strict):
    name: str = Field(min_length=1, max_length=60)
    age: int = Field(ge=12, le=100)
    gender: str = Field(min_length=1, max_length=30)
    presenting_problem: str = Field(min_length=10, max_length=600)
    background: str = Field(min_length=10, max_length=2000)
    modality: str = Field(min_length=2, max_length=80, description="e.g. CBT, psychodynamic")
    session_number: int = Field(ge=1, le=200)


class Sensitivities(_Strict):
    """How this patient reacts: how many tension points a move removes or a pitfall adds."""

    softened_by: dict[RepairStrategy, int] = Field(min_length=1)
    hardened_by: dict[Pitfall, int] = Field(min_length=1)
    notes: str = Field(default="", max_length=1200)

    @field_validator("softened_by", "hardened_by")
    @classmethod
    def _steps_in_range(cls, value: dict[str, int]) -> dict[str, int]:
        for key, step in value.items():
            if not 0 <= step <= 3:
                raise ValueError(f"step for {key!s} must be between 0 and 3, got {step}")
        return value


class StageDescription(_Strict):
    """What the patient is like at one stage of the progression."""

    id: Stage
    description: str = Field(min_length=10, max_length=1200)


class Dynamics(_Strict):
    initial_tension: int = Field(default=7, ge=4, le=10)
    max_softening_per_turn: int = Field(default=2, ge=1, le=3)
    turn_limit: int = Field(default=12, ge=4, le=40)


class Persona(_Strict):
    id: str
    title: str = Field(min_length=3, max_length=80)
    summary: str = Field(min_length=10, max_length=160, description="one-line situation card")
    language: Language
    rupture_type: RuptureType
    progression: RuptureType | None = Field(
        default=None, description="for mixed ruptures: which progression the repair follows"
    )
    markers: list[MarkerId] = Field(min_length=1)
    difficulty: int = Field(ge=1, le=3)
    patient: PatientProfile
    situation: str = Field(min_length=20, max_length=2000)
    opening: Line
    style: str = Field(default="", max_length=1200, description="how the patient talks")
    sensitivities: Sensitivities
    stages: list[StageDescription] = Field(min_length=3, max_length=3)
    lines: dict[Stage, dict[TensionBand, list[Line]]]
    reactions: dict[Pitfall, list[Line]] = Field(default_factory=dict)
    principles: list[str] = Field(default_factory=list)
    dynamics: Dynamics = Field(default_factory=Dynamics)
    system_template: str | None = Field(
        default=None, description="template file under personas/templates/ that extends base"
    )

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not PERSONA_ID.match(value):
            raise ValueError(
                "must be 2-48 characters of lowercase letters, digits, '-' or '_', "
                f"starting with a letter or digit (got {value!r})"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Persona:
        progression = self.stage_sequence
        if self.rupture_type is RuptureType.MIXED and self.progression is None:
            raise ValueError(
                "progression: a mixed persona must say 'confrontation' or 'withdrawal'"
            )
        if self.progression is RuptureType.MIXED:
            raise ValueError("progression: must be 'confrontation' or 'withdrawal'")
        stage_ids = tuple(s.id for s in self.stages)
        if stage_ids != progression:
            raise ValueError(
                f"stages: expected the ids {', '.join(progression)} in this order, "
                f"got {', '.join(stage_ids)}"
            )
        for stage in progression:
            bands = self.lines.get(stage)
            if bands is None:
                raise ValueError(f"lines.{stage}: missing; every stage needs scripted lines")
            for band in TensionBand:
                variants = bands.get(band, [])
                if len(variants) < 2:
                    raise ValueError(
                        f"lines.{stage}.{band}: needs at least 2 variants, found {len(variants)}"
                    )
        extra = set(self.lines) - set(progression)
        if extra:
            raise ValueError(
                f"lines: stages {', '.join(sorted(extra))} are not in this persona's progression"
            )
        return self

    @property
    def stage_sequence(self) -> tuple[Stage, Stage, Stage]:
        kind = self.progression or self.rupture_type
        if kind is RuptureType.MIXED:
            kind = RuptureType.CONFRONTATION
        return PROGRESSIONS[kind]

    def stage_description(self, stage: Stage) -> str:
        return next(s.description for s in self.stages if s.id is stage)
