"""The storage protocol cohorts, authoring and group reviews need (`bot.storage` implements it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.cohorts.records import (
    AssignmentKind,
    AssignmentRecord,
    AuthoredPersonaRecord,
    CohortRecord,
    GroupLinkRecord,
    InviteKind,
    InviteRecord,
    MemberRecord,
    ReviewPollRecord,
    ReviewRecord,
    ReviewStatus,
    SessionFacts,
    ShareRecord,
    ShareVia,
    ViewRecord,
)


class PersonaTaken(Exception):
    """Another trainer already published a persona with this id."""


class CohortStore(Protocol):
    # --- roles ------------------------------------------------------------------------
    async def get_role(self, user_id: int) -> str | None:
        """The stored role ('trainee', 'trainer'), or None if there is no such user."""
        ...

    async def set_role(self, user_id: int, role: str) -> None: ...

    async def user_ids_with_role(self, role: str) -> list[int]: ...

    # --- cohorts, invites, members ----------------------------------------------------
    async def create_cohort(self, trainer_id: int, name: str) -> CohortRecord: ...

    async def get_cohort(self, cohort_id: int) -> CohortRecord | None: ...

    async def trainer_cohorts(self, trainer_id: int) -> list[CohortRecord]: ...

    async def add_invite(
        self, cohort_id: int, token: str, kind: InviteKind, created_by: int
    ) -> InviteRecord: ...

    async def find_invite(self, token: str) -> InviteRecord | None: ...

    async def invites(self, cohort_id: int) -> list[InviteRecord]:
        """The cohort's invites and link codes, newest first."""
        ...

    async def revoke_invites(self, cohort_id: int, kind: InviteKind) -> None: ...

    async def add_member(
        self, cohort_id: int, user_id: int, display_name: str, pseudonym: str
    ) -> MemberRecord:
        """Add a member (or return the existing membership unchanged)."""
        ...

    async def remove_member(self, cohort_id: int, user_id: int) -> bool: ...

    async def members(self, cohort_id: int) -> list[MemberRecord]: ...

    async def memberships(self, user_id: int) -> list[MemberRecord]: ...

    # --- assignments and what members did ----------------------------------------------
    async def add_assignment(
        self,
        cohort_id: int,
        kind: AssignmentKind,
        item_id: str,
        due_at: datetime | None,
        created_by: int,
    ) -> AssignmentRecord: ...

    async def assignments(self, cohort_ids: Sequence[int]) -> list[AssignmentRecord]: ...

    async def delete_assignment(self, assignment_id: int) -> AssignmentRecord | None: ...

    async def session_facts(self, user_ids: Sequence[int]) -> list[SessionFacts]:
        """Every practice session of these users, oldest first, without transcript text."""
        ...

    # --- trainer-authored personas -----------------------------------------------------
    async def save_persona(
        self,
        owner_id: int,
        persona_id: str,
        filename: str,
        yaml_text: str,
        template_source: str | None,
    ) -> AuthoredPersonaRecord:
        """Store a new persona or replace the owner's own; `PersonaTaken` if someone else's."""
        ...

    async def authored_persona(self, persona_id: str) -> AuthoredPersonaRecord | None: ...

    async def authored_personas(
        self, owner_id: int | None = None
    ) -> list[AuthoredPersonaRecord]: ...

    async def publish_persona(self, persona_id: str, cohort_id: int | None) -> None: ...

    async def add_principle(self, persona_id: str, text: str, created_by: int) -> None: ...

    # --- shares and who viewed them -----------------------------------------------------
    async def save_share(
        self, session_id: int, cohort_id: int, owner_id: int, pseudonym: str, show_name: bool
    ) -> ShareRecord:
        """Share (again): a revoked share of the same session with the same cohort revives."""
        ...

    async def revoke_share(self, share_id: int) -> ShareRecord | None: ...

    async def get_share(self, share_id: int) -> ShareRecord | None: ...

    async def owner_shares(self, owner_id: int) -> list[ShareRecord]: ...

    async def cohort_shares(self, cohort_id: int) -> list[ShareRecord]:
        """Active (not revoked) shares with a cohort, newest first."""
        ...

    async def add_view(
        self, share_id: int, viewer_id: int | None, via: ShareVia, chat_id: int | None
    ) -> None: ...

    async def views(self, share_id: int) -> list[ViewRecord]: ...

    # --- groups and reviews -------------------------------------------------------------
    async def link_group(
        self, chat_id: int, cohort_id: int, title: str, linked_by: int
    ) -> GroupLinkRecord: ...

    async def unlink_group(self, chat_id: int) -> bool: ...

    async def group_link(self, chat_id: int) -> GroupLinkRecord | None: ...

    async def create_review(
        self, chat_id: int, share_id: int, started_by: int, poll_turns: Sequence[int]
    ) -> ReviewRecord: ...

    async def get_review(self, review_id: int) -> ReviewRecord | None: ...

    async def update_review(
        self,
        review_id: int,
        *,
        status: ReviewStatus | None = None,
        poll_turns: Sequence[int] | None = None,
        position: int | None = None,
        add_message_ids: Sequence[int] = (),
    ) -> None: ...

    async def add_review_poll(self, review_id: int, poll: ReviewPollRecord) -> None: ...

    async def update_poll(self, poll_id: str, counts: Sequence[int], closed: bool) -> bool:
        """Store vote counts of a review poll; False if the poll is not one of ours."""
        ...

    async def share_reviews(self, share_id: int) -> list[ReviewRecord]: ...
