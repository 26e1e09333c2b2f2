"""Trainer-authored personas as the practice service sees them: resolved by id, per user.

The personas live in the database; this keeps the validated `Persona` objects (with
their trainer's corrections applied) in memory, because practice looks personas up
on every turn. Each write through `AuthoringService` updates it; `refresh()` reloads
from the database (at start-up, and whenever a trainee opens the Practise menu, so
another replica's new personas show up there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from pathlib import Path

from bot.authoring.principles import apply_principles
from bot.authoring.upload import template_name, validate_upload
from bot.cohorts.records import AuthoredPersonaRecord
from bot.cohorts.store import CohortStore
from bot.domain.content import ContentError
from bot.domain.persona import Persona
from bot.domain.templates import PromptRenderer

log = logging.getLogger(__name__)


class PersonaLibrary:
    """The `PersonaSource` of `PracticeService` for personas trainers uploaded."""

    def __init__(
        self,
        store: CohortStore,
        renderer: PromptRenderer,
        templates_dir: Path,
        reserved_ids: Callable[[], Collection[str]] | None = None,
    ) -> None:
        self.store = store
        self.renderer = renderer
        self.templates_dir = templates_dir
        self.reserved_ids = reserved_ids or (lambda: ())
        self._entries: dict[str, tuple[AuthoredPersonaRecord, Persona]] = {}

    # --- PersonaSource ----------------------------------------------------------------

    def persona(self, persona_id: str) -> Persona | None:
        entry = self._entries.get(persona_id)
        return entry[1] if entry is not None else None

    async def visible(self, user_id: int) -> list[Persona]:
        """The user's own personas (drafts too) and those published to their cohorts."""
        await self.refresh()
        cohorts = {}
        for member in await self.store.memberships(user_id):
            cohort = await self.store.get_cohort(member.cohort_id)
            if cohort is not None:
                cohorts[cohort.id] = cohort.trainer_id
        trainers = set(cohorts.values())
        found = []
        for record, persona in self._entries.values():
            mine = record.owner_id == user_id
            scoped = record.cohort_id is None or record.cohort_id in cohorts
            if mine or (record.published and record.owner_id in trainers and scoped):
                found.append(persona)
        return found

    # --- keeping it current -----------------------------------------------------------

    def record(self, persona_id: str) -> AuthoredPersonaRecord | None:
        entry = self._entries.get(persona_id)
        return entry[0] if entry is not None else None

    def owned_by(self, owner_id: int) -> list[AuthoredPersonaRecord]:
        return sorted(
            (r for r, _ in self._entries.values() if r.owner_id == owner_id),
            key=lambda r: r.updated_at,
            reverse=True,
        )

    async def refresh(self) -> None:
        records = await self.store.authored_personas()
        fresh = {}
        for record in records:
            current = self._entries.get(record.persona_id)
            if current is not None and current[0] == record:
                fresh[record.persona_id] = current
                continue
            persona = self._build(record)
            if persona is not None:
                fresh[record.persona_id] = (record, persona)
        self._entries = fresh

    async def reload(self, persona_id: str) -> Persona | None:
        record = await self.store.authored_persona(persona_id)
        if record is None:
            self._entries.pop(persona_id, None)
            return None
        persona = self._build(record)
        if persona is not None:
            self._entries[persona_id] = (record, persona)
        return persona

    def _build(self, record: AuthoredPersonaRecord) -> Persona | None:
        try:
            uploaded = validate_upload(
                record.filename,
                record.yaml_text.encode("utf-8"),
                self.templates_dir,
                self.reserved_ids(),
            )
        except ContentError as exc:
            # Validated at upload; this happens only if the rules changed since.
            log.warning(
                "authored persona %s no longer validates (%d problems); it is hidden",
                record.persona_id,
                len(exc.problems),
            )
            return None
        if uploaded.template_source:
            self.renderer.add_template(template_name(record.persona_id), uploaded.template_source)
        return apply_principles(uploaded.persona, record.principles)
