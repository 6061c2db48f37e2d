"""The audit log of operator actions: who replayed or discarded which message, when, and why.
Rows are only ever added; the console and `civicbus dlq` write them, auditors read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bus.migrations import UTCDateTime, database_engine

metadata = sa.MetaData()

actions = sa.Table(
    "operator_actions",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("operator", sa.String(), nullable=False),
    sa.Column("action", sa.String(), nullable=False),
    sa.Column("message_id", sa.String(), nullable=True),
    sa.Column("queue", sa.String(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("detail", sa.JSON(), nullable=True),
    sa.Index("ix_operator_actions_message_id", "message_id"),
    sa.Index("ix_operator_actions_at", "at"),
)


@dataclass(frozen=True)
class OperatorAction:
    at: datetime
    operator: str
    action: str
    message_id: str | None
    queue: str | None
    reason: str
    detail: dict[str, Any] | None


class AuditLog:
    """Operator actions in the state database (migrated by the Bus that owns it)."""

    def __init__(self, url: str) -> None:
        self._engine = database_engine(url, sqlite_begin="IMMEDIATE")

    def record(
        self,
        operator: str,
        action: str,
        *,
        reason: str,
        message_id: str | None = None,
        queue: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                actions.insert(),
                {
                    "at": datetime.now(UTC),
                    "operator": operator,
                    "action": action,
                    "message_id": message_id,
                    "queue": queue,
                    "reason": reason,
                    "detail": detail,
                },
            )

    def entries(self, *, message_id: str | None = None, limit: int = 100) -> list[OperatorAction]:
        """Newest first; only those about `message_id` when given."""
        query = sa.select(actions).order_by(actions.c.id.desc()).limit(limit)
        if message_id is not None:
            query = query.where(actions.c.message_id == message_id)
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            OperatorAction(
                at=row["at"],
                operator=row["operator"],
                action=row["action"],
                message_id=row["message_id"],
                queue=row["queue"],
                reason=row["reason"],
                detail=row["detail"],
            )
            for row in rows
        ]

    def close(self) -> None:
        self._engine.dispose()
