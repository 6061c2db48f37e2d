"""Aggregator state: groups of parts kept until they complete.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bus.migrations._types import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "aggregate_groups",
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("opened_by", sa.String(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("owner", "key"),
    )
    op.create_index("ix_aggregate_groups_opened_at", "aggregate_groups", ["opened_at"])
    op.create_table(
        "aggregate_parts",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("part_id", sa.String(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("owner", "key", "part_id", name="uq_aggregate_parts_part"),
    )


def downgrade() -> None:
    op.drop_table("aggregate_parts")
    op.drop_index("ix_aggregate_groups_opened_at", table_name="aggregate_groups")
    op.drop_table("aggregate_groups")
