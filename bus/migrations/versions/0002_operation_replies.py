"""Operation replies kept per request, so a redelivered write is not applied twice.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operation_replies",
        sa.Column("adapter", sa.String(), nullable=False),
        sa.Column("request_id", sa.String(), nullable=False),
        sa.Column("reply", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("adapter", "request_id"),
    )
    op.create_index("ix_operation_replies_stored_at", "operation_replies", ["stored_at"])


def downgrade() -> None:
    op.drop_index("ix_operation_replies_stored_at", table_name="operation_replies")
    op.drop_table("operation_replies")
