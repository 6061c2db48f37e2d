"""The journal's tables: one row per message, one row per hop.

Hops carry `message_id` without a foreign key on purpose: a consumer in another process may
journal a delivery before the publisher's journal has written the message, and that hop must
be kept, not refused.
"""

from __future__ import annotations

import sqlalchemy as sa

from bus.migrations._types import UTCDateTime

metadata = sa.MetaData()

# Shown for a message the journal has seen but that has no hop yet.
NO_HOP_STATUS = "recorded"

messages = sa.Table(
    "journal_messages",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("type", sa.String(), nullable=False),
    sa.Column("source", sa.String(), nullable=False),
    sa.Column("subject", sa.String(), nullable=True),
    sa.Column("correlation_id", sa.String(), nullable=False),
    sa.Column("causation_id", sa.String(), nullable=True),
    sa.Column("time", UTCDateTime(), nullable=False),
    sa.Column("first_seen", UTCDateTime(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("envelope", sa.JSON(), nullable=False),
    sa.Index("ix_journal_messages_correlation_id", "correlation_id"),
    sa.Index("ix_journal_messages_subject", "subject"),
    sa.Index("ix_journal_messages_type", "type"),
    sa.Index("ix_journal_messages_time", "time"),
    sa.Index("ix_journal_messages_status", "status"),
    # Retention deletes by the journal's own clock, not the sender's.
    sa.Index("ix_journal_messages_first_seen", "first_seen"),
)

hops = sa.Table(
    "journal_hops",
    metadata,
    # SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid), not a BIGINT one.
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("message_id", sa.String(), nullable=False),
    sa.Column("hop", sa.String(), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("consumer", sa.String(), nullable=True),
    sa.Column("attempt", sa.Integer(), nullable=False),
    sa.Column("duration_ms", sa.Float(), nullable=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("detail", sa.JSON(), nullable=True),
    # One message's journey in time order, and its latest hop for the status.
    sa.Index("ix_journal_hops_message_id_at", "message_id", "at"),
    sa.Index("ix_journal_hops_consumer", "consumer"),
    sa.Index("ix_journal_hops_at", "at"),
)
