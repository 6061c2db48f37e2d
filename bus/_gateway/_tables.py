"""The gateway's tables: its clients and their grants, its calls (for Idempotency-Key and
`Prefer: respond-async`), the data-access log of calls about a person, and webhook
subscriptions."""

from __future__ import annotations

import sqlalchemy as sa

from bus.migrations import UTCDateTime

metadata = sa.MetaData()

clients = sa.Table(
    "gateway_clients",
    metadata,
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("description", sa.Text(), nullable=False),
    # sha256 of a 256-bit random key: the key itself is shown once and never stored.
    sa.Column("key_hash", sa.String(), nullable=False, unique=True),
    sa.Column("rate_per_minute", sa.Integer(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("calls_per_day", sa.Integer(), nullable=True),
)

usage = sa.Table(
    "gateway_usage",
    metadata,
    sa.Column("client", sa.String(), primary_key=True),
    sa.Column("day", sa.String(10), primary_key=True),  # UTC, YYYY-MM-DD
    sa.Column("calls", sa.Integer(), nullable=False),
)

grants = sa.Table(
    "gateway_grants",
    metadata,
    sa.Column("client", sa.String(), primary_key=True),
    sa.Column("kind", sa.String(), primary_key=True),  # operation | event | privilege
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("granted_at", UTCDateTime(), nullable=False),
)

calls = sa.Table(
    "gateway_calls",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),  # the request envelope's id
    sa.Column("client", sa.String(), nullable=False),
    sa.Column("operation", sa.String(), nullable=False),
    sa.Column("idempotency_key", sa.String(), nullable=True),
    sa.Column("request_hash", sa.String(), nullable=False),
    sa.Column("state", sa.String(), nullable=False),  # pending | completed
    sa.Column("status", sa.Integer(), nullable=True),
    sa.Column("body", sa.JSON(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("completed_at", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("client", "idempotency_key", name="uq_gateway_calls_client_key"),
    sa.Index("ix_gateway_calls_created_at", "created_at"),
)

data_access = sa.Table(
    "gateway_data_access",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("person_id", sa.String(), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("client", sa.String(), nullable=False),
    sa.Column("operation", sa.String(), nullable=False),
    sa.Column("purpose", sa.Text(), nullable=True),
    sa.Column("end_user", sa.String(), nullable=True),
    sa.Column("request_id", sa.String(), nullable=False),
    sa.Column("status", sa.Integer(), nullable=False),
    sa.Index("ix_gateway_data_access_person_id_at", "person_id", "at"),
)

subscriptions = sa.Table(
    "gateway_subscriptions",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("client", sa.String(), nullable=False),
    sa.Column("event_type", sa.String(), nullable=False),
    sa.Column("url", sa.Text(), nullable=False),
    # Kept as is: the gateway needs it to sign every delivery (HMAC-SHA256).
    sa.Column("secret", sa.String(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Index("ix_gateway_subscriptions_client", "client"),
)
