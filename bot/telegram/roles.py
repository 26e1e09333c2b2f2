"""Role checks for handlers: `HasRole(Role.TRAINER)` lets trainers (and admins) through.

A filter, so a handler it refuses is skipped; the trainer router ends with handlers
that answer the same commands for everyone else with "that's for trainers" instead
of pretending the command does not exist.
"""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from bot.cohort_wiring import Cohorts
from bot.cohorts.records import Role
from bot.practice.records import UserRecord


class HasRole(Filter):
    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(
        self,
        event: TelegramObject,
        trainee: UserRecord | None = None,
        cohorts: Cohorts | None = None,
    ) -> bool | dict[str, Any]:
        if trainee is None or cohorts is None:
            return False
        role = await cohorts.service.role(trainee)
        return {"role": role} if role.at_least(self.role) else False
