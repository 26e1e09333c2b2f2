"""Cohorts, invites, assignments, trainer-authored personas and their principles, session
shares and who viewed them, groups linked to cohorts, group reviews and their polls.

Revision ID: 0003
Revises: 0002
Create Date: 2025-03-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


def upgrade() -> None:
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["trainer_id"],
            ["users.id"],
            name=op.f("fk_cohorts_trainer_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohorts")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_cohorts_trainer_id"), "cohorts", ["trainer_id"], unique=False)

    op.create_table(
        "authored_personas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("persona_id", sa.String(length=48), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("template_source", sa.Text(), nullable=True),
        sa.Column("published", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_authored_personas_cohort_id_cohorts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_authored_personas_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authored_personas")),
        sa.UniqueConstraint("persona_id", name=op.f("uq_authored_personas_persona_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_authored_personas_owner_id"), "authored_personas", ["owner_id"], unique=False
    )

    op.create_table(
        "cohort_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=100), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_cohort_assignments_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_cohort_assignments_created_by_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_assignments")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_cohort_assignments_cohort_id"), "cohort_assignments", ["cohort_id"], unique=False
    )

    op.create_table(
        "cohort_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("linked_by", sa.Integer(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_cohort_groups_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by"],
            ["users.id"],
            name=op.f("fk_cohort_groups_linked_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_groups")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_cohort_groups_chat_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_cohort_groups_cohort_id"), "cohort_groups", ["cohort_id"], unique=False
    )

    op.create_table(
        "cohort_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_cohort_invites_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_cohort_invites_created_by_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_invites")),
        sa.UniqueConstraint("token", name=op.f("uq_cohort_invites_token")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_cohort_invites_cohort_id"), "cohort_invites", ["cohort_id"], unique=False
    )

    op.create_table(
        "cohort_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("pseudonym", sa.String(length=60), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_cohort_members_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_cohort_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_members")),
        sa.UniqueConstraint(
            "cohort_id", "user_id", name=op.f("uq_cohort_members_cohort_id_user_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_cohort_members_user_id"), "cohort_members", ["user_id"], unique=False)

    op.create_table(
        "session_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=60), nullable=False),
        sa.Column("show_name", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_session_shares_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_session_shares_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["practice_sessions.id"],
            name=op.f("fk_session_shares_session_id_practice_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_shares")),
        sa.UniqueConstraint(
            "session_id", "cohort_id", name=op.f("uq_session_shares_session_id_cohort_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_session_shares_cohort_id"), "session_shares", ["cohort_id"], unique=False
    )
    op.create_index(
        op.f("ix_session_shares_owner_id"), "session_shares", ["owner_id"], unique=False
    )

    op.create_table(
        "group_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("share_id", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("poll_turns", JSON_DOCUMENT, nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("message_ids", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["share_id"],
            ["session_shares.id"],
            name=op.f("fk_group_reviews_share_id_session_shares"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by"],
            ["users.id"],
            name=op.f("fk_group_reviews_started_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_reviews")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_group_reviews_chat_id"), "group_reviews", ["chat_id"], unique=False)
    op.create_index(op.f("ix_group_reviews_share_id"), "group_reviews", ["share_id"], unique=False)

    op.create_table(
        "persona_principles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("persona_row_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_persona_principles_created_by_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["persona_row_id"],
            ["authored_personas.id"],
            name=op.f("fk_persona_principles_persona_row_id_authored_personas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persona_principles")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_persona_principles_persona_row_id"),
        "persona_principles",
        ["persona_row_id"],
        unique=False,
    )

    op.create_table(
        "share_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("share_id", sa.Integer(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["share_id"],
            ["session_shares.id"],
            name=op.f("fk_share_views_share_id_session_shares"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["viewer_id"],
            ["users.id"],
            name=op.f("fk_share_views_viewer_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_views")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_share_views_share_id"), "share_views", ["share_id"], unique=False)

    op.create_table(
        "group_review_polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("option_ids", JSON_DOCUMENT, nullable=False),
        sa.Column("correct_option", sa.Integer(), nullable=True),
        sa.Column("counts", JSON_DOCUMENT, nullable=False),
        sa.Column("closed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["group_reviews.id"],
            name=op.f("fk_group_review_polls_review_id_group_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_review_polls")),
        sa.UniqueConstraint("poll_id", name=op.f("uq_group_review_polls_poll_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_group_review_polls_review_id"), "group_review_polls", ["review_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_group_review_polls_review_id"), table_name="group_review_polls")
    op.drop_table("group_review_polls")
    op.drop_index(op.f("ix_share_views_share_id"), table_name="share_views")
    op.drop_table("share_views")
    op.drop_index(op.f("ix_persona_principles_persona_row_id"), table_name="persona_principles")
    op.drop_table("persona_principles")
    op.drop_index(op.f("ix_group_reviews_share_id"), table_name="group_reviews")
    op.drop_index(op.f("ix_group_reviews_chat_id"), table_name="group_reviews")
    op.drop_table("group_reviews")
    op.drop_index(op.f("ix_session_shares_owner_id"), table_name="session_shares")
    op.drop_index(op.f("ix_session_shares_cohort_id"), table_name="session_shares")
    op.drop_table("session_shares")
    op.drop_index(op.f("ix_cohort_members_user_id"), table_name="cohort_members")
    op.drop_table("cohort_members")
    op.drop_index(op.f("ix_cohort_invites_cohort_id"), table_name="cohort_invites")
    op.drop_table("cohort_invites")
    op.drop_index(op.f("ix_cohort_groups_cohort_id"), table_name="cohort_groups")
    op.drop_table("cohort_groups")
    op.drop_index(op.f("ix_cohort_assignments_cohort_id"), table_name="cohort_assignments")
    op.drop_table("cohort_assignments")
    op.drop_index(op.f("ix_authored_personas_owner_id"), table_name="authored_personas")
    op.drop_table("authored_personas")
    op.drop_index(op.f("ix_cohorts_trainer_id"), table_name="cohorts")
    op.drop_table("cohorts")
