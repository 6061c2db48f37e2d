"""The shared catalog: operations that adapter hosts serve, with their JSON Schemas, so a
gateway in another process can list, validate and call them without importing any adapter.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_operations",
        sa.Column("adapter", sa.String(), nullable=False),
        sa.Column("operation", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("idempotent", sa.Boolean(), nullable=False),
        sa.Column("request_schema", sa.JSON(), nullable=False),
        sa.Column("response_schema", sa.JSON(), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("adapter", "operation"),
    )
    op.create_index("ix_catalog_operations_last_seen", "catalog_operations", ["last_seen"])


def downgrade() -> None:
    op.drop_index("ix_catalog_operations_last_seen", table_name="catalog_operations")
    op.drop_table("catalog_operations")
