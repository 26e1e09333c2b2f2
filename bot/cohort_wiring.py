"""Wiring for trainers and groups: roles, cohorts, authoring, sharing, group review.

Called from `bot.wiring.open_app`, which owns the database engine and the content.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.authoring.library import PersonaLibrary
from bot.authoring.service import AuthoringService, load_probes
from bot.cohorts.modules import LearningModules
from bot.cohorts.review import GroupReviewService
from bot.cohorts.service import CohortService
from bot.cohorts.sharing import SharingService
from bot.config import Settings
from bot.domain.catalog import Catalog
from bot.domain.evaluation import Judge
from bot.domain.persona import Persona
from bot.domain.templates import PromptRenderer
from bot.learning.catalog import load_learning
from bot.patients.scripted import ScriptedPatient
from bot.practice.store import PracticeStore
from bot.storage.cohort_repository import SqlCohortStore
from bot.storage.learning_repository import SqlLearningStore


@dataclass
class Cohorts:
    """Everything trainers and groups need; handed to the Telegram dispatcher as `cohorts`."""

    service: CohortService
    sharing: SharingService
    reviews: GroupReviewService
    authoring: AuthoringService
    library: PersonaLibrary
    catalog: Catalog
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, item: str) -> str:
        """The words trainees know for a canonical id (the learning glossary)."""
        return self.labels.get(item) or item.replace("_", " ").capitalize()

    def find_persona(self, persona_id: str) -> Persona | None:
        return self.catalog.persona(persona_id) or self.library.persona(persona_id)


async def build_cohorts(
    settings: Settings,
    engine: AsyncEngine,
    catalog: Catalog,
    renderer: PromptRenderer,
    users: PracticeStore,
    judge: Judge,
) -> Cohorts:
    """`judge` plays the upload previews (the offline rule judge: free and repeatable)."""
    store = SqlCohortStore(engine)
    library = PersonaLibrary(
        store, renderer, settings.personas_dir / "templates", lambda: catalog.personas.keys()
    )
    await library.refresh()

    def find_persona(persona_id: str) -> Persona | None:
        return catalog.persona(persona_id) or library.persona(persona_id)

    modules = None
    labels: dict[str, str] = {}
    modules_dir = settings.content_dir / "modules"
    if modules_dir.is_dir():
        learning = load_learning(modules_dir)
        modules = LearningModules(learning, SqlLearningStore(engine))
        labels = dict(learning.glossary.labels)
    service = CohortService(
        store=store,
        users=users,
        find_persona=find_persona,
        admin_ids=frozenset(str(i) for i in settings.admin_ids),
        modules=modules,
    )
    sharing = SharingService(store, users, service)
    return Cohorts(
        service=service,
        sharing=sharing,
        reviews=GroupReviewService(store, service, sharing, find_persona),
        authoring=AuthoringService(
            library=library,
            cohorts=service,
            judge=judge,
            patient=ScriptedPatient(),
            probes=load_probes(settings.content_dir),
            shared_ids=catalog.personas.keys(),
        ),
        library=library,
        catalog=catalog,
        labels=labels,
    )
