"""Roles, cohorts, invites, assignments and the cohort report: the rules, in one place.

Telegram (and any other front end) asks this service; it never decides who may do
what itself. Every method that reads a cohort checks that the caller trains it, so a
trainer cannot read another trainer's cohort, and trainees reach only their own work.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

from bot.cohorts.pseudonyms import new_pseudonym
from bot.cohorts.records import (
    AssignmentKind,
    AssignmentRecord,
    CohortRecord,
    InviteKind,
    InviteRecord,
    MemberRecord,
    Role,
    SessionFacts,
)
from bot.cohorts.report import (
    AssignmentStatus,
    CohortReport,
    assignment_done,
    order_statuses,
    trainee_report,
)
from bot.cohorts.store import CohortStore
from bot.domain.persona import Persona
from bot.practice.records import UserRecord
from bot.practice.service import PracticeError
from bot.practice.store import PracticeStore

MAX_COHORT_NAME = 80
MAX_DISPLAY_NAME = 120
#: a join token is the deep-link payload: Telegram allows 64 characters of [A-Za-z0-9_-]
TOKEN_BYTES = 12
TELEGRAM = "telegram"


class CohortError(PracticeError):
    """A user mistake or a refused request; the message is safe to show (as a PracticeError)."""


class ModuleTracker(Protocol):
    """What the curriculum tells cohorts: module titles and which modules a trainee finished."""

    def module_title(self, module_id: str) -> str | None: ...

    def module_ids(self) -> list[str]: ...

    async def done_modules(self, user_id: int) -> set[str]: ...


@dataclass(frozen=True)
class JoinResult:
    cohort: CohortRecord
    member: MemberRecord
    already_member: bool


def _now() -> datetime:
    return datetime.now(UTC)


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


@dataclass
class CohortService:
    store: CohortStore
    users: PracticeStore
    find_persona: Callable[[str], Persona | None]
    admin_ids: frozenset[str] = frozenset()
    modules: ModuleTracker | None = None
    clock: Callable[[], datetime] = field(default=_now)

    # --- roles ----------------------------------------------------------------------------

    async def role(self, user: UserRecord) -> Role:
        """Admins come from configuration (ADMIN_IDS); trainers are made by admins."""
        if user.channel == TELEGRAM and user.external_id in self.admin_ids:
            return Role.ADMIN
        stored = await self.store.get_role(user.id)
        return Role.TRAINER if stored == Role.TRAINER.value else Role.TRAINEE

    async def require(self, user: UserRecord, role: Role) -> Role:
        mine = await self.role(user)
        if not mine.at_least(role):
            raise CohortError(
                "forbidden",
                "Only admins can do that."
                if role is Role.ADMIN
                else "Only trainers can do that. An admin can make you a trainer.",
            )
        return mine

    async def set_trainer(self, actor: UserRecord, telegram_id: str, trainer: bool) -> UserRecord:
        """An admin makes someone a trainer (or a trainee again), by their Telegram id."""
        await self.require(actor, Role.ADMIN)
        telegram_id = telegram_id.strip()
        if not telegram_id.lstrip("-").isdigit():
            raise CohortError(
                "bad_id", "Give the person's numeric Telegram id, e.g. /promote 123456789."
            )
        target = await self.users.find_user(TELEGRAM, telegram_id)
        if target is None or not target.consented:
            raise CohortError(
                "unknown_user",
                f"No one with Telegram id {telegram_id} has started the bot yet. Ask them to "
                "send /start (and agree), then try again.",
            )
        await self.store.set_role(target.id, (Role.TRAINER if trainer else Role.TRAINEE).value)
        return target

    async def trainers(self, actor: UserRecord) -> list[UserRecord]:
        await self.require(actor, Role.ADMIN)
        found = [
            await self.users.get_user(i) for i in await self.store.user_ids_with_role("trainer")
        ]
        return [u for u in found if u is not None]

    # --- cohorts and invites ----------------------------------------------------------------

    async def create_cohort(self, trainer: UserRecord, name: str) -> CohortRecord:
        await self.require(trainer, Role.TRAINER)
        name = " ".join(name.split())
        if not 2 <= len(name) <= MAX_COHORT_NAME:
            raise CohortError(
                "bad_name",
                f"Give the cohort a name of 2 to {MAX_COHORT_NAME} characters, "
                "e.g. /newcohort Spring 2025 CBT.",
            )
        cohort = await self.store.create_cohort(trainer.id, name)
        await self.store.add_invite(cohort.id, new_token(), InviteKind.JOIN, trainer.id)
        return cohort

    async def trainer_cohorts(self, trainer: UserRecord) -> list[CohortRecord]:
        await self.require(trainer, Role.TRAINER)
        return await self.store.trainer_cohorts(trainer.id)

    async def cohort(self, trainer: UserRecord, cohort_id: int) -> CohortRecord:
        """A cohort the caller trains; anyone else's is reported as not found."""
        await self.require(trainer, Role.TRAINER)
        cohort = await self.store.get_cohort(cohort_id)
        if cohort is None or cohort.trainer_id != trainer.id:
            raise CohortError("not_found", "That cohort doesn't exist or isn't yours.")
        return cohort

    async def invite(
        self, trainer: UserRecord, cohort_id: int, renew: bool = False
    ) -> InviteRecord:
        """The cohort's join invite; `renew` replaces it (the old link stops working)."""
        cohort = await self.cohort(trainer, cohort_id)
        if renew:
            await self.store.revoke_invites(cohort.id, InviteKind.JOIN)
        else:
            current = await self._active_invite(cohort.id, InviteKind.JOIN)
            if current is not None:
                return current
        return await self.store.add_invite(cohort.id, new_token(), InviteKind.JOIN, trainer.id)

    async def link_code(self, trainer: UserRecord, cohort_id: int) -> InviteRecord:
        """A fresh code to link a Telegram group to the cohort (/link CODE in the group)."""
        cohort = await self.cohort(trainer, cohort_id)
        await self.store.revoke_invites(cohort.id, InviteKind.LINK)
        return await self.store.add_invite(cohort.id, new_token("g"), InviteKind.LINK, trainer.id)

    async def _active_invite(self, cohort_id: int, kind: InviteKind) -> InviteRecord | None:
        return next(
            (
                i
                for i in await self.store.invites(cohort_id)
                if i.kind is kind and i.revoked_at is None
            ),
            None,
        )

    async def preview_invite(self, token: str) -> CohortRecord | None:
        invite = await self.store.find_invite(token)
        if invite is None or invite.kind is not InviteKind.JOIN or invite.revoked_at is not None:
            return None
        return await self.store.get_cohort(invite.cohort_id)

    # --- membership -------------------------------------------------------------------------

    async def join(self, user: UserRecord, token: str, display_name: str) -> JoinResult:
        cohort = await self.preview_invite(token)
        if cohort is None:
            raise CohortError(
                "bad_invite",
                "This invite link isn't valid any more. Ask your trainer for a new one.",
            )
        if cohort.trainer_id == user.id:
            raise CohortError(
                "own_cohort", "That's the invite link of your own cohort: send it to trainees."
            )
        for member in await self.store.memberships(user.id):
            if member.cohort_id == cohort.id:
                return JoinResult(cohort, member, already_member=True)
        taken = {m.pseudonym for m in await self.store.members(cohort.id)}
        name = " ".join(display_name.split())[:MAX_DISPLAY_NAME] or f"Trainee {user.id}"
        member = await self.store.add_member(cohort.id, user.id, name, new_pseudonym(taken))
        return JoinResult(cohort, member, already_member=False)

    async def leave(self, user: UserRecord, cohort_id: int) -> CohortRecord:
        """Leave at once: the trainer stops seeing your work and your shares there end."""
        cohort = await self.store.get_cohort(cohort_id)
        if cohort is None or not await self.store.remove_member(cohort_id, user.id):
            raise CohortError("not_member", "You're not in that cohort.")
        for share in await self.store.owner_shares(user.id):
            if share.cohort_id == cohort_id and share.active:
                await self.store.revoke_share(share.id)
        return cohort

    async def memberships(self, user: UserRecord) -> list[tuple[CohortRecord, MemberRecord]]:
        found = []
        for member in await self.store.memberships(user.id):
            cohort = await self.store.get_cohort(member.cohort_id)
            if cohort is not None:
                found.append((cohort, member))
        return found

    async def members(self, trainer: UserRecord, cohort_id: int) -> list[MemberRecord]:
        cohort = await self.cohort(trainer, cohort_id)
        return await self.store.members(cohort.id)

    # --- assignments ------------------------------------------------------------------------

    def item_title(self, kind: AssignmentKind, item_id: str) -> str | None:
        if kind is AssignmentKind.PERSONA:
            persona = self.find_persona(item_id)
            return persona.title if persona is not None else None
        return self.modules.module_title(item_id) if self.modules else None

    async def assign(
        self,
        trainer: UserRecord,
        cohort_id: int,
        kind: AssignmentKind,
        item_id: str,
        due_in_days: int | None = None,
    ) -> AssignmentRecord:
        """Assign a persona or a module; due at the end of the day `due_in_days` from today."""
        cohort = await self.cohort(trainer, cohort_id)
        if self.item_title(kind, item_id) is None:
            raise CohortError("unknown_item", f"There is no {kind.value} called {item_id!r}.")
        if kind is AssignmentKind.PERSONA:
            authored = await self.store.authored_persona(item_id)
            if authored is not None and authored.owner_id != trainer.id:
                raise CohortError("unknown_item", f"There is no persona called {item_id!r}.")
            if authored is not None and not authored.published:
                raise CohortError(
                    "unpublished", "Publish this persona to your cohorts before assigning it."
                )
        due_at = None
        if due_in_days is not None:
            if not 0 <= due_in_days <= 365:
                raise CohortError("bad_due", "A due date must be within a year.")
            day = (self.clock() + timedelta(days=due_in_days)).date()
            due_at = datetime.combine(day, time(23, 59), tzinfo=UTC)
        return await self.store.add_assignment(cohort.id, kind, item_id, due_at, trainer.id)

    async def unassign(self, trainer: UserRecord, assignment_id: int) -> None:
        for assignment in await self._trainer_assignments(trainer):
            if assignment.id == assignment_id:
                await self.store.delete_assignment(assignment_id)
                return
        raise CohortError("not_found", "That assignment doesn't exist or isn't yours.")

    async def cohort_assignments(
        self, trainer: UserRecord, cohort_id: int
    ) -> list[AssignmentRecord]:
        cohort = await self.cohort(trainer, cohort_id)
        return await self.store.assignments([cohort.id])

    async def _trainer_assignments(self, trainer: UserRecord) -> list[AssignmentRecord]:
        cohorts = await self.trainer_cohorts(trainer)
        return await self.store.assignments([c.id for c in cohorts])

    async def assignments_for(self, user: UserRecord) -> list[AssignmentStatus]:
        """The trainee's assignments from every cohort: overdue and soonest first, done last."""
        memberships = await self.memberships(user)
        names = {cohort.id: cohort.name for cohort, _ in memberships}
        assignments = await self.store.assignments(list(names))
        if not assignments:
            return []
        sessions = await self.store.session_facts([user.id])
        done_modules = await self.modules.done_modules(user.id) if self.modules else set()
        now = self.clock()
        statuses = [
            self._status(a, names[a.cohort_id], sessions, done_modules, now) for a in assignments
        ]
        return order_statuses(statuses)

    def _status(
        self,
        assignment: AssignmentRecord,
        cohort_name: str,
        sessions: Sequence[SessionFacts],
        done_modules: set[str],
        now: datetime,
    ) -> AssignmentStatus:
        done = assignment_done(assignment, sessions, done_modules)
        due = assignment.due_at
        return AssignmentStatus(
            assignment=assignment,
            title=self.item_title(assignment.kind, assignment.item_id) or assignment.item_id,
            cohort_name=cohort_name,
            done=done,
            overdue=not done and due is not None and due < now,
        )

    # --- the report -------------------------------------------------------------------------

    async def report(self, trainer: UserRecord, cohort_id: int) -> CohortReport:
        cohort = await self.cohort(trainer, cohort_id)
        members = await self.store.members(cohort.id)
        assignments = await self.store.assignments([cohort.id])
        facts = await self.store.session_facts([m.user_id for m in members])
        now = self.clock()
        trainees = []
        for member in members:
            sessions = [f for f in facts if f.user_id == member.user_id]
            done_modules = (
                await self.modules.done_modules(member.user_id) if self.modules else set()
            )
            statuses = [
                self._status(a, cohort.name, sessions, done_modules, now) for a in assignments
            ]
            trainees.append(
                trainee_report(
                    user_id=member.user_id,
                    name=member.display_name,
                    pseudonym=member.pseudonym,
                    sessions=sessions,
                    statuses=statuses,
                )
            )
        return CohortReport(
            cohort=cohort,
            generated_at=now,
            trainees=tuple(trainees),
            assignments=tuple(assignments),
        )
