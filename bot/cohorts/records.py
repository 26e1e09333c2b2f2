"""Stored shapes of roles, cohorts, invites, assignments, shares and group reviews (no SQL)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    """Who may do what. An admin can do everything a trainer can, and make trainers."""

    TRAINEE = "trainee"
    TRAINER = "trainer"
    ADMIN = "admin"

    def at_least(self, other: Role) -> bool:
        order = (Role.TRAINEE, Role.TRAINER, Role.ADMIN)
        return order.index(self) >= order.index(other)


class InviteKind(StrEnum):
    JOIN = "join"  # a trainee joins the cohort (t.me/<bot>?start=<token>)
    LINK = "link"  # a Telegram group is linked to the cohort (/link <token> in the group)


class AssignmentKind(StrEnum):
    PERSONA = "persona"
    MODULE = "module"


class ShareVia(StrEnum):
    PRIVATE = "private"  # opened in a private chat
    GROUP = "group"  # posted in a group review
    EXPORT = "export"  # exported as a file


class ReviewStatus(StrEnum):
    SETUP = "setup"
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CohortRecord(_Frozen):
    id: int
    name: str
    trainer_id: int
    created_at: datetime


class MemberRecord(_Frozen):
    id: int
    cohort_id: int
    user_id: int
    display_name: str = Field(description="the Telegram name shown to the trainer")
    pseudonym: str = Field(description="how the member appears in shared transcripts")
    joined_at: datetime


class InviteRecord(_Frozen):
    id: int
    cohort_id: int
    token: str
    kind: InviteKind
    created_by: int
    created_at: datetime
    revoked_at: datetime | None = None


class AssignmentRecord(_Frozen):
    id: int
    cohort_id: int
    kind: AssignmentKind
    item_id: str
    due_at: datetime | None = None
    created_by: int
    created_at: datetime


class AuthoredPersonaRecord(_Frozen):
    """A persona a trainer uploaded: the YAML as sent, its embedded template, its scope."""

    id: int
    persona_id: str
    owner_id: int
    filename: str
    yaml_text: str
    template_source: str | None = None
    published: bool = False
    cohort_id: int | None = Field(default=None, description="None: all the owner's cohorts")
    principles: tuple[str, ...] = ()
    created_at: datetime
    updated_at: datetime


class ShareRecord(_Frozen):
    id: int
    session_id: int
    cohort_id: int
    owner_id: int
    pseudonym: str
    show_name: bool = False
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ViewRecord(_Frozen):
    share_id: int
    viewer_id: int | None
    via: ShareVia
    chat_id: int | None = None
    viewed_at: datetime


class GroupLinkRecord(_Frozen):
    chat_id: int
    cohort_id: int
    title: str
    linked_by: int | None
    linked_at: datetime


class ReviewPollRecord(_Frozen):
    poll_id: str
    message_id: int
    turn: int
    kind: str
    option_ids: tuple[str, ...]
    correct_option: int | None = None
    counts: tuple[int, ...] = ()
    closed: bool = False


class ReviewRecord(_Frozen):
    id: int
    chat_id: int
    share_id: int
    started_by: int | None
    status: ReviewStatus
    poll_turns: tuple[int, ...] = ()
    position: int = Field(default=0, description="trainee replies revealed so far")
    message_ids: tuple[int, ...] = ()
    polls: tuple[ReviewPollRecord, ...] = ()
    created_at: datetime


class SessionFacts(_Frozen):
    """What a cohort report needs to know about one practice session of a member."""

    session_id: int
    user_id: int
    persona_id: str
    finished: bool
    started_at: datetime
    ended_at: datetime | None = None
    resolution_rating: int | None = None
    replies: int = 0
    moves: tuple[str, ...] = Field(default=(), description="move ids, one per use")
    pitfalls: tuple[str, ...] = ()
