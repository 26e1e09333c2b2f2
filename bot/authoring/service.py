"""Persona authoring for trainers: upload → validate → preview (a dry run) → publish,
and corrections ("principles") written while testing a persona.

Only trainers (and admins) may author. An uploaded persona is stored in the database
and reaches only the trainees of its trainer's cohorts; the shared `personas/`
folder is never written to.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bot.authoring.dryrun import DryRun, dry_run
from bot.authoring.library import PersonaLibrary
from bot.authoring.principles import MAX_PRINCIPLES, Principle, parse_principle
from bot.authoring.upload import validate_upload
from bot.cohorts.records import AuthoredPersonaRecord, Role
from bot.cohorts.service import CohortError, CohortService
from bot.cohorts.store import PersonaTaken
from bot.domain.content import ContentError, Problem, load_model
from bot.domain.engine import PatientEngine
from bot.domain.evaluation import Judge
from bot.domain.persona import Persona
from bot.practice.records import UserRecord

log = logging.getLogger(__name__)

PROBES_FILE = "dryrun.yaml"
PREVIEW_REPLIES = 4


class Probes(BaseModel):
    """`content/dryrun.yaml`: the trainee replies the upload preview plays, per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: list[str] = Field(min_length=1)
    de: list[str] = Field(min_length=1)

    def for_language(self, language: str) -> list[str]:
        return list(getattr(self, language, self.en))


def load_probes(content_dir: Path) -> Probes:
    return load_model(content_dir / PROBES_FILE, Probes)


@dataclass(frozen=True)
class Draft:
    record: AuthoredPersonaRecord
    persona: Persona
    replaced: bool
    preview: DryRun


@dataclass(frozen=True)
class PrincipleAdded:
    persona: Persona
    principle: Principle
    count: int


@dataclass
class AuthoringService:
    library: PersonaLibrary
    cohorts: CohortService
    judge: Judge
    patient: PatientEngine
    probes: Probes
    shared_ids: Collection[str] = ()

    async def upload(self, trainer: UserRecord, filename: str | None, raw: bytes) -> Draft:
        """Validate and store; `ContentError` lists every problem (file, field, fix)."""
        await self.cohorts.require(trainer, Role.TRAINER)
        try:
            uploaded = validate_upload(filename, raw, self.library.templates_dir, self.shared_ids)
        except ContentError as exc:
            if any("sandbox violation" in p.message for p in exc.problems):
                log.warning(
                    "refused a persona template that broke the sandbox (user %s)", trainer.id
                )
            raise
        before = await self.library.store.authored_persona(uploaded.persona.id)
        try:
            record = await self.library.store.save_persona(
                trainer.id,
                uploaded.persona.id,
                uploaded.filename,
                uploaded.yaml_text,
                uploaded.template_source,
            )
        except PersonaTaken:
            raise ContentError(
                [
                    Problem(
                        uploaded.filename,
                        "id",
                        f"{uploaded.persona.id!r} is already used by another trainer; "
                        "choose another id",
                    )
                ]
            ) from None
        persona = await self.library.reload(record.persona_id)
        assert persona is not None, "validated above"
        return Draft(record, persona, before is not None, await self.preview(persona))

    async def preview(self, persona: Persona, replies: list[str] | None = None) -> DryRun:
        """A short dry run with the scripted patient and the rule judge."""
        probes = replies or self.probes.for_language(persona.language)[:PREVIEW_REPLIES]
        return await dry_run(persona, probes, self.judge, self.patient)

    def system_prompt(self, persona: Persona) -> str:
        return self.library.renderer.render_system(persona)

    async def mine(self, trainer: UserRecord) -> list[AuthoredPersonaRecord]:
        await self.cohorts.require(trainer, Role.TRAINER)
        await self.library.refresh()
        return self.library.owned_by(trainer.id)

    async def owned(
        self, trainer: UserRecord, persona_id: str
    ) -> tuple[AuthoredPersonaRecord, Persona]:
        await self.cohorts.require(trainer, Role.TRAINER)
        record = self.library.record(persona_id) or await self.library.store.authored_persona(
            persona_id
        )
        persona = self.library.persona(persona_id) or await self.library.reload(persona_id)
        if record is None or persona is None or record.owner_id != trainer.id:
            raise CohortError("not_found", "That persona doesn't exist or isn't yours.")
        return record, persona

    async def publish(
        self, trainer: UserRecord, persona_id: str, cohort_id: int | None = None
    ) -> AuthoredPersonaRecord:
        """Publish to all of the trainer's cohorts (None) or to one of them."""
        await self.owned(trainer, persona_id)
        if cohort_id is not None:
            await self.cohorts.cohort(trainer, cohort_id)
        await self.library.store.publish_persona(persona_id, cohort_id)
        await self.library.reload(persona_id)
        record = self.library.record(persona_id)
        assert record is not None
        return record

    async def principle_target(
        self, trainer: UserRecord, active_persona_id: str | None
    ) -> AuthoredPersonaRecord:
        """The persona being tested: the one in the running session, else the newest upload."""
        mine = await self.mine(trainer)
        for record in mine:
            if record.persona_id == active_persona_id:
                return record
        if not mine:
            raise CohortError(
                "no_persona",
                "Corrections belong to a persona you uploaded. Send a persona YAML file first.",
            )
        return mine[0]

    async def add_principle(
        self, trainer: UserRecord, text: str, active_persona_id: str | None = None
    ) -> PrincipleAdded:
        principle = parse_principle(text)
        record = await self.principle_target(trainer, active_persona_id)
        if len(record.principles) >= MAX_PRINCIPLES:
            raise CohortError("too_many", f"A persona keeps at most {MAX_PRINCIPLES} corrections.")
        await self.library.store.add_principle(record.persona_id, principle.text, trainer.id)
        persona = await self.library.reload(record.persona_id)
        assert persona is not None
        return PrincipleAdded(persona, principle, len(record.principles) + 1)
