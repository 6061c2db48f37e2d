"""Initial schema: the journal (messages, hops) and the idempotency claims.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Types are spelled as plain SQLAlchemy types, not the application's TypeDecorators, so this
revision keeps meaning the same thing whatever later code does with those classes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "journal_messages",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("correlation_id", sa.String(), nullable=False),
        sa.Column("causation_id", sa.String(), nullable=True),
        sa.Column("time", _utc(), nullable=False),
        sa.Column("first_seen", _utc(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("correlation_id", "subject", "type", "time", "status", "first_seen"):
        op.create_index(f"ix_journal_messages_{column}", "journal_messages", [column])

    op.create_table(
        "journal_hops",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("hop", sa.String(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("consumer", sa.String(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_journal_hops_message_id_at", "journal_hops", ["message_id", "at"])
    op.create_index("ix_journal_hops_consumer", "journal_hops", ["consumer"])
    op.create_index("ix_journal_hops_at", "journal_hops", ["at"])

    op.create_table(
        "idempotency_claims",
        sa.Column("consumer", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("handled_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "message_id"),
    )
    op.create_index("ix_idempotency_claims_handled_at", "idempotency_claims", ["handled_at"])


def downgrade() -> None:
    # Dropping a table drops its indexes on both backends.
    op.drop_table("idempotency_claims")
    op.drop_table("journal_hops")
    op.drop_table("journal_messages")
