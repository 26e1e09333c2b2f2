"""Curriculum answers: recognition drill and prompt exercise attempts.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


def upgrade() -> None:
    op.create_table(
        "learning_drill_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.String(length=32), nullable=False),
        sa.Column("drill_id", sa.String(length=64), nullable=False),
        sa.Column("noticed", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=64), nullable=True),
        sa.Column("noticed_correct", sa.Boolean(), nullable=False),
        sa.Column("detail_correct", sa.Boolean(), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_learning_drill_attempts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_drill_attempts")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_learning_drill_attempts_user_id_module_id",
        "learning_drill_attempts",
        ["user_id", "module_id"],
        unique=False,
    )
    op.create_table(
        "learning_prompt_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.String(length=32), nullable=False),
        sa.Column("prompt_id", sa.String(length=64), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("evaluation", JSON_DOCUMENT, nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("expected_moves", JSON_DOCUMENT, nullable=False),
        sa.Column("hit_moves", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_learning_prompt_attempts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_prompt_attempts")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_learning_prompt_attempts_user_id_module_id",
        "learning_prompt_attempts",
        ["user_id", "module_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_learning_prompt_attempts_user_id_module_id", table_name="learning_prompt_attempts"
    )
    op.drop_table("learning_prompt_attempts")
    op.drop_index(
        "ix_learning_drill_attempts_user_id_module_id", table_name="learning_drill_attempts"
    )
    op.drop_table("learning_drill_attempts")
