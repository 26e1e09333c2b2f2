"""ORM tables: users, their practice sessions and turns, and their curriculum answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

#: stable constraint names, so later migrations (and SQLite batch rebuilds) can refer to them
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON everywhere, JSONB on PostgreSQL; Python None is stored as SQL NULL
JSON_DOCUMENT = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC, as the database hands it back; a naive datetime is taken to be UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset of its own).

    A naive datetime is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON_DOCUMENT,
    }


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        {"sqlite_autoincrement": True},  # an erased user's id is never handed out again
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    consented: Mapped[bool] = mapped_column(default=False, server_default=false())
    consented_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16), default="trainee", server_default="trainee")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sessions: Mapped[list[PracticeSession]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PracticeSession.id",
    )


class PracticeSession(Base):
    __tablename__ = "practice_sessions"
    __table_args__ = (
        Index("ix_practice_sessions_user_id_status", "user_id", "status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    persona_id: Mapped[str] = mapped_column(String(100))
    seed: Mapped[int] = mapped_column(BigInteger)
    engine: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))
    resolution_rating: Mapped[int | None]
    feedback: Mapped[dict[str, Any] | None]
    replay_of: Mapped[int | None] = mapped_column(
        ForeignKey("practice_sessions.id", ondelete="SET NULL")
    )
    replay_from_turn: Mapped[int | None]

    user: Mapped[User] = relationship(back_populates="sessions")
    turns: Mapped[list[Turn]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Turn.index",
    )


class Turn(Base):
    __tablename__ = "turns"
    __table_args__ = (
        UniqueConstraint("session_id", "index"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("practice_sessions.id", ondelete="CASCADE"))
    index: Mapped[int]
    speaker: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[dict[str, Any] | None]
    evaluation: Mapped[dict[str, Any] | None]
    usage: Mapped[dict[str, Any] | None]
    engine: Mapped[str | None] = mapped_column(String(100))

    session: Mapped[PracticeSession] = relationship(back_populates="turns")


class DrillAttemptRow(Base):
    """A trainee's answer to a recognition drill (curriculum, `bot.learning`)."""

    __tablename__ = "learning_drill_attempts"
    __table_args__ = (
        Index("ix_learning_drill_attempts_user_id_module_id", "user_id", "module_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(32))
    drill_id: Mapped[str] = mapped_column(String(64))
    noticed: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(64))
    noticed_correct: Mapped[bool]
    detail_correct: Mapped[bool | None]
    correct: Mapped[bool]
    family: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PromptAttemptRow(Base):
    """A trainee's free-text answer to a prompt exercise and its evaluation."""

    __tablename__ = "learning_prompt_attempts"
    __table_args__ = (
        Index("ix_learning_prompt_attempts_user_id_module_id", "user_id", "module_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(32))
    prompt_id: Mapped[str] = mapped_column(String(64))
    reply: Mapped[str] = mapped_column(Text)
    evaluation: Mapped[dict[str, Any]]
    rating: Mapped[int]
    expected_moves: Mapped[list[str]] = mapped_column(JSON_DOCUMENT)
    hit_moves: Mapped[list[str]] = mapped_column(JSON_DOCUMENT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- cohorts, trainer-authored personas, shares and group reviews (`bot.cohorts`) -------


class CohortRow(Base):
    """A trainer's group of trainees."""

    __tablename__ = "cohorts"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CohortMemberRow(Base):
    __tablename__ = "cohort_members"
    __table_args__ = (
        UniqueConstraint("cohort_id", "user_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(120))
    pseudonym: Mapped[str] = mapped_column(String(60))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class CohortInviteRow(Base):
    """A join token (the invite deep link) or a group link code."""

    __tablename__ = "cohort_invites"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class AssignmentRow(Base):
    __tablename__ = "cohort_assignments"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[datetime | None]
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthoredPersonaRow(Base):
    """A persona a trainer uploaded (kept in the database, not in personas/)."""

    __tablename__ = "authored_personas"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    persona_id: Mapped[str] = mapped_column(String(48), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    yaml_text: Mapped[str] = mapped_column(Text)
    template_source: Mapped[str | None] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(default=False, server_default=false())
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    principles: Mapped[list[PersonaPrincipleRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="PersonaPrincipleRow.id"
    )


class PersonaPrincipleRow(Base):
    """A trainer's correction to a persona ("she would not open up that fast")."""

    __tablename__ = "persona_principles"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    persona_row_id: Mapped[int] = mapped_column(
        ForeignKey("authored_personas.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SessionShareRow(Base):
    """A trainee's explicit, revocable choice to share one finished session with a cohort."""

    __tablename__ = "session_shares"
    __table_args__ = (
        UniqueConstraint("session_id", "cohort_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("practice_sessions.id", ondelete="CASCADE"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(60))
    show_name: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class ShareViewRow(Base):
    """Who opened a shared transcript, when and how (the sharing trainee can see this)."""

    __tablename__ = "share_views"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int] = mapped_column(
        ForeignKey("session_shares.id", ondelete="CASCADE"), index=True
    )
    viewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    via: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    viewed_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupLinkRow(Base):
    """A Telegram group chat linked to a cohort for group review."""

    __tablename__ = "cohort_groups"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    linked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupReviewRow(Base):
    """A shared transcript being walked through in a group, with its poll stops."""

    __tablename__ = "group_reviews"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    share_id: Mapped[int] = mapped_column(
        ForeignKey("session_shares.id", ondelete="CASCADE"), index=True
    )
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16))
    poll_turns: Mapped[list[int]] = mapped_column(JSON_DOCUMENT)
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    message_ids: Mapped[list[int]] = mapped_column(JSON_DOCUMENT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    polls: Mapped[list[ReviewPollRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ReviewPollRow.id"
    )


class ReviewPollRow(Base):
    __tablename__ = "group_review_polls"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("group_reviews.id", ondelete="CASCADE"), index=True
    )
    poll_id: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[int] = mapped_column(BigInteger)
    turn: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    option_ids: Mapped[list[str]] = mapped_column(JSON_DOCUMENT)
    correct_option: Mapped[int | None]
    counts: Mapped[list[int]] = mapped_column(JSON_DOCUMENT)
    closed: Mapped[bool] = mapped_column(default=False, server_default=false())


class QuizPollRow(Base):
    """A drill posted as a quiz poll in a group: poll answers name only the poll id."""

    __tablename__ = "learning_quiz_polls"
    __table_args__ = (Index("ix_learning_quiz_polls_chat_id_drill_id", "chat_id", "drill_id"),)

    poll_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    drill_id: Mapped[str] = mapped_column(String(64))
    option_ids: Mapped[list[str]] = mapped_column(JSON_DOCUMENT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
