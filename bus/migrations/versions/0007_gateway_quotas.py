"""Per-client daily quotas: a limit on each client and the calls counted per UTC day.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("gateway_clients") as batch:
        batch.add_column(sa.Column("calls_per_day", sa.Integer(), nullable=True))
    op.create_table(
        "gateway_usage",
        sa.Column("client", sa.String(), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client", "day"),
    )


def downgrade() -> None:
    op.drop_table("gateway_usage")
    with op.batch_alter_table("gateway_clients") as batch:
        batch.drop_column("calls_per_day")
