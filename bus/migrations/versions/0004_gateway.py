"""The HTTP gateway: clients with hashed keys, their grants, calls kept for Idempotency-Key
and respond-async, the data-access log, and webhook subscriptions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gateway_clients",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.String(), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_table(
        "gateway_grants",
        sa.Column("client", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("granted_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("client", "kind", "name"),
    )
    op.create_table(
        "gateway_calls",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("client", sa.String(), nullable=False),
        sa.Column("operation", sa.String(), nullable=False),
        sa.Column("idempotency_key", sa.String(), nullable=True),
        sa.Column("request_hash", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("completed_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client", "idempotency_key", name="uq_gateway_calls_client_key"),
    )
    op.create_index("ix_gateway_calls_created_at", "gateway_calls", ["created_at"])
    op.create_table(
        "gateway_data_access",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_id", sa.String(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("client", sa.String(), nullable=False),
        sa.Column("operation", sa.String(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("end_user", sa.String(), nullable=True),
        sa.Column("request_id", sa.String(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index(
        "ix_gateway_data_access_person_id_at", "gateway_data_access", ["person_id", "at"]
    )
    op.create_table(
        "gateway_subscriptions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("client", sa.String(), nullable=False),
        sa.Column("event_type", sa.String(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_gateway_subscriptions_client", "gateway_subscriptions", ["client"])


def downgrade() -> None:
    op.drop_index("ix_gateway_subscriptions_client", table_name="gateway_subscriptions")
    op.drop_table("gateway_subscriptions")
    op.drop_index("ix_gateway_data_access_person_id_at", table_name="gateway_data_access")
    op.drop_table("gateway_data_access")
    op.drop_index("ix_gateway_calls_created_at", table_name="gateway_calls")
    op.drop_table("gateway_calls")
    op.drop_table("gateway_grants")
    op.drop_table("gateway_clients")
