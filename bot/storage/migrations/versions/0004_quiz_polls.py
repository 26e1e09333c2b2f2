"""Drills posted as quiz polls in group chats (poll id -> drill and its options).

Revision ID: 0004
Revises: 0003
Create Date: 2025-03-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


def upgrade() -> None:
    op.create_table(
        "learning_quiz_polls",
        sa.Column("poll_id", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("drill_id", sa.String(length=64), nullable=False),
        sa.Column("option_ids", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("poll_id", name=op.f("pk_learning_quiz_polls")),
    )
    op.create_index(
        "ix_learning_quiz_polls_chat_id_drill_id",
        "learning_quiz_polls",
        ["chat_id", "drill_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_learning_quiz_polls_chat_id_drill_id", table_name="learning_quiz_polls")
    op.drop_table("learning_quiz_polls")
