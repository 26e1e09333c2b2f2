"""Drills posted as quiz polls in a group chat: which poll asks about which drill.

A poll answer names only the poll and the chosen option's position, so the bot
keeps, per poll it sent, the drill and the option ids in the order they were shown.
Kept in the database, so answers still count after a restart or on another replica.
Nothing here is about a person: who answered is stored only as a drill attempt of a
consented trainee.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from bot.learning.catalog import LearningCatalog
from bot.learning.models import Drill, ModuleId


class PostedQuiz(BaseModel):
    """One quiz poll the bot sent: the drill it asks about and its options, in order."""

    model_config = ConfigDict(frozen=True)

    poll_id: str
    chat_id: int
    message_id: int
    drill_id: str
    option_ids: tuple[str, ...]
    created_at: datetime


class QuizPollStore(Protocol):
    async def remember_quiz(self, quiz: PostedQuiz) -> None: ...

    async def find_quiz(self, poll_id: str) -> PostedQuiz | None: ...

    async def posted_drills(self, chat_id: int) -> dict[str, datetime]:
        """Drill id -> when it was last posted in `chat_id`."""
        ...


def next_group_drill(
    catalog: LearningCatalog, module_id: ModuleId | None, posted: Mapping[str, datetime]
) -> Drill | None:
    """A drill this group has not seen yet (in curriculum order), else the one seen longest ago.

    Without a module, the drills of every module take their turn.
    """
    candidates: Sequence[Drill]
    if module_id is not None:
        module = catalog.modules.get(module_id)
        candidates = module.drills if module is not None else ()
    else:
        candidates = [drill for _, drill in catalog.all_drills()]
    if not candidates:
        return None
    fresh = [drill for drill in candidates if drill.id not in posted]
    if fresh:
        return fresh[0]
    return min(candidates, key=lambda drill: posted[drill.id])
