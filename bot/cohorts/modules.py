"""The curriculum seen from a cohort: module titles and which modules a trainee finished."""

from __future__ import annotations

from bot.learning.catalog import LearningCatalog
from bot.learning.progress import module_status
from bot.learning.store import LearningStore


class LearningModules:
    """`ModuleTracker` over the learning catalogue and the stored drill and prompt answers."""

    def __init__(self, catalog: LearningCatalog, store: LearningStore) -> None:
        self.catalog = catalog
        self.store = store

    def module_title(self, module_id: str) -> str | None:
        module = self.catalog.module(module_id)
        return module.title if module is not None else None

    def module_ids(self) -> list[str]:
        return [m.value for m in self.catalog.modules]

    async def done_modules(self, user_id: int) -> set[str]:
        drills = await self.store.drill_attempts(user_id)
        prompts = await self.store.prompt_attempts(user_id)
        return {
            module.id.value
            for module in self.catalog.modules.values()
            if module_status(module, drills, prompts).done
        }
