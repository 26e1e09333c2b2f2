"""Sharing a finished session with a cohort: explicit, per session, revocable, pseudonymous.

Who may open a shared transcript: the cohort's trainer and the trainee who shared it,
nobody else. The rule is checked on every opening, against the current state, so
revoking a share or leaving the cohort takes effect at once; every opening by
someone other than the owner is recorded, and the owner can see that record.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.cohorts.records import (
    CohortRecord,
    ReviewRecord,
    ReviewStatus,
    ShareRecord,
    ShareVia,
    ViewRecord,
)
from bot.cohorts.service import CohortError, CohortService
from bot.cohorts.store import CohortStore
from bot.practice.records import SessionRecord, SessionStatus, UserRecord
from bot.practice.store import PracticeStore

NOT_SHARED = "That transcript isn't shared with you (any more)."


@dataclass(frozen=True)
class SharedTranscript:
    share: ShareRecord
    session: SessionRecord
    cohort: CohortRecord
    label: str  # the pseudonym, or the trainee's name if they chose to show it


@dataclass(frozen=True)
class ShareOverview:
    share: ShareRecord
    cohort: CohortRecord
    persona_id: str
    views: tuple[ViewRecord, ...]


@dataclass
class SharingService:
    store: CohortStore
    sessions: PracticeStore
    cohorts: CohortService

    async def share(
        self, user: UserRecord, session_id: int, cohort_id: int, show_name: bool = False
    ) -> ShareRecord:
        session = await self.sessions.get_session(session_id)
        if session is None or session.user_id != user.id:
            raise CohortError("not_found", "That session doesn't exist or isn't yours.")
        if session.status is not SessionStatus.FINISHED:
            raise CohortError("not_finished", "Finish the session before you share it.")
        member = next(
            (m for m in await self.store.memberships(user.id) if m.cohort_id == cohort_id), None
        )
        if member is None:
            raise CohortError(
                "not_member",
                "You can share only with a cohort you're in. Ask your trainer for an invite link.",
            )
        return await self.store.save_share(
            session.id, cohort_id, user.id, member.pseudonym, show_name
        )

    async def revoke(
        self, user: UserRecord, share_id: int
    ) -> tuple[ShareRecord, list[ReviewRecord]]:
        """Stop sharing; returns the reviews that were showing it, so their posts can go too."""
        share = await self.store.get_share(share_id)
        if share is None or share.owner_id != user.id:
            raise CohortError("not_found", "That share doesn't exist or isn't yours.")
        running = [
            r
            for r in await self.store.share_reviews(share.id)
            if r.status in (ReviewStatus.SETUP, ReviewStatus.RUNNING)
        ]
        revoked = await self.store.revoke_share(share.id)
        assert revoked is not None
        return revoked, running

    async def my_shares(self, user: UserRecord) -> list[ShareOverview]:
        found = []
        for share in await self.store.owner_shares(user.id):
            cohort = await self.store.get_cohort(share.cohort_id)
            session = await self.sessions.get_session(share.session_id)
            if cohort is None or session is None:
                continue
            views = tuple(await self.store.views(share.id))
            found.append(ShareOverview(share, cohort, session.persona_id, views))
        return found

    async def session_shares(self, user: UserRecord, session_id: int) -> list[ShareRecord]:
        return [
            s
            for s in await self.store.owner_shares(user.id)
            if s.session_id == session_id and s.active
        ]

    async def cohort_shares(self, trainer: UserRecord, cohort_id: int) -> list[ShareRecord]:
        """What the cohort's trainer may open: active shares of current members."""
        cohort = await self.cohorts.cohort(trainer, cohort_id)
        members = {m.user_id for m in await self.store.members(cohort.id)}
        return [s for s in await self.store.cohort_shares(cohort.id) if s.owner_id in members]

    async def open(
        self,
        viewer: UserRecord,
        share_id: int,
        via: ShareVia = ShareVia.PRIVATE,
        chat_id: int | None = None,
    ) -> SharedTranscript:
        """The shared session, if `viewer` may see it now; records the view."""
        share = await self.store.get_share(share_id)
        cohort = await self.store.get_cohort(share.cohort_id) if share else None
        if share is None or cohort is None or not share.active:
            raise CohortError("not_shared", NOT_SHARED)
        members = {m.user_id: m for m in await self.store.members(cohort.id)}
        owner = members.get(share.owner_id)
        if owner is None or viewer.id not in (cohort.trainer_id, share.owner_id):
            raise CohortError("not_shared", NOT_SHARED)
        session = await self.sessions.get_session(share.session_id)
        if session is None:
            raise CohortError("not_shared", NOT_SHARED)
        if viewer.id != share.owner_id:
            await self.store.add_view(share.id, viewer.id, via, chat_id)
        label = owner.display_name if share.show_name else share.pseudonym
        return SharedTranscript(share, session, cohort, label)
