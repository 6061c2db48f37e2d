"""Gateway calls kept in the state database: the first answer to an `Idempotency-Key` is
replayed to every retry (the legacy system is called once), and a `respond-async` call's
answer waits here for `GET /api/v1/messages/{id}`. Any gateway process can serve either."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from bus._gateway._tables import calls
from bus.migrations import database_engine

CallState = Literal["pending", "completed"]


@dataclass(frozen=True)
class StoredCall:
    id: str
    client: str
    operation: str
    idempotency_key: str | None
    request_hash: str
    state: CallState
    status: int | None
    body: Any
    created_at: datetime


def request_hash(operation: str, body: Any) -> str:
    """The same operation with the same JSON (whatever its key order) hashes the same."""
    canonical = json.dumps([operation, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class CallStore:
    """The `gateway_calls` table."""

    def __init__(self, url: str) -> None:
        self._engine = database_engine(url)

    def claim(
        self,
        *,
        call_id: str,
        client: str,
        operation: str,
        idempotency_key: str | None,
        hash_: str,
    ) -> StoredCall | None:
        """Record a new pending call; with a key already used by `client`, return that call
        instead (and record nothing)."""
        row = {
            "id": call_id,
            "client": client,
            "operation": operation,
            "idempotency_key": idempotency_key,
            "request_hash": hash_,
            "state": "pending",
            "created_at": datetime.now(UTC),
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(calls.insert(), row)
        except sa.exc.IntegrityError:
            if idempotency_key is None:
                raise
            return self._first(
                (calls.c.client == client) & (calls.c.idempotency_key == idempotency_key)
            )
        return None

    def complete(self, call_id: str, status: int, body: Any) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                calls.update()
                .where(calls.c.id == call_id)
                .values(state="completed", status=status, body=body, completed_at=datetime.now(UTC))
            )

    def forget(self, call_id: str) -> None:
        """Drop a pending call that never reached the bus, so its key may be used again."""
        with self._engine.begin() as connection:
            connection.execute(
                calls.delete().where(calls.c.id == call_id, calls.c.state == "pending")
            )

    def find(self, call_id: str) -> StoredCall | None:
        return self._first(calls.c.id == call_id)

    def purge(self, *, older_than: timedelta) -> int:
        cutoff = datetime.now(UTC) - older_than
        with self._engine.begin() as connection:
            result = connection.execute(calls.delete().where(calls.c.created_at < cutoff))
        return int(result.rowcount)

    def close(self) -> None:
        self._engine.dispose()

    def _first(self, where: sa.ColumnElement[bool]) -> StoredCall | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(
                    calls.c.id,
                    calls.c.client,
                    calls.c.operation,
                    calls.c.idempotency_key,
                    calls.c.request_hash,
                    calls.c.state,
                    calls.c.status,
                    calls.c.body,
                    calls.c.created_at,
                ).where(where)
            ).first()
        return None if row is None else StoredCall(**row._mapping)
