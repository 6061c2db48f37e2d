"""The catalog shared between processes: a table in the state database.

An adapter host records each operation it serves, with the JSON Schemas of its request and
response, and refreshes `last_seen` while it runs. A gateway or any other caller reads the
table, so it can list, validate and call operations without importing the adapter. An
operation whose host stopped refreshing it for `stale_after` seconds is no longer offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bus.migrations import UTCDateTime, database_engine

metadata = sa.MetaData()

operations = sa.Table(
    "catalog_operations",
    metadata,
    sa.Column("adapter", sa.String(), primary_key=True),
    sa.Column("operation", sa.String(), primary_key=True),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("idempotent", sa.Boolean(), nullable=False),
    sa.Column("request_schema", sa.JSON(), nullable=False),
    sa.Column("response_schema", sa.JSON(), nullable=False),
    sa.Column("last_seen", UTCDateTime(), nullable=False),
    sa.Index("ix_catalog_operations_last_seen", "last_seen"),
)


@dataclass(frozen=True)
class StoredOperation:
    """One row of the shared catalog."""

    adapter: str
    operation: str
    description: str
    idempotent: bool
    request_schema: dict[str, Any]
    response_schema: dict[str, Any]
    last_seen: datetime


class CatalogStore:
    """Reads and writes the `catalog_operations` table (the database is migrated by the Bus)."""

    def __init__(self, url: str) -> None:
        self._engine = database_engine(url)

    def record(self, served: list[StoredOperation]) -> None:
        """Replace the rows of every adapter in `served` by these operations."""
        adapters = {op.adapter for op in served}
        rows = [
            {
                "adapter": op.adapter,
                "operation": op.operation,
                "description": op.description,
                "idempotent": op.idempotent,
                "request_schema": op.request_schema,
                "response_schema": op.response_schema,
                "last_seen": op.last_seen,
            }
            for op in served
        ]
        with self._engine.begin() as connection:
            # An operation the adapter no longer offers must not linger from an older release.
            connection.execute(operations.delete().where(operations.c.adapter.in_(adapters)))
            if rows:
                connection.execute(operations.insert(), rows)

    def heartbeat(self, adapters: list[str]) -> None:
        """Mark the operations of `adapters` as still served now."""
        if not adapters:
            return
        with self._engine.begin() as connection:
            connection.execute(
                operations.update()
                .where(operations.c.adapter.in_(adapters))
                .values(last_seen=datetime.now(UTC))
            )

    def live(self, *, stale_after: float) -> list[StoredOperation]:
        """Operations whose host refreshed them within the last `stale_after` seconds."""
        cutoff = datetime.now(UTC) - timedelta(seconds=stale_after)
        query = (
            sa.select(operations)
            .where(operations.c.last_seen >= cutoff)
            .order_by(operations.c.adapter, operations.c.operation)
        )
        with self._engine.connect() as connection:
            return [StoredOperation(**row._mapping) for row in connection.execute(query)]

    def close(self) -> None:
        self._engine.dispose()
