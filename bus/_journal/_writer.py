"""Writing one batch of journal entries in one transaction.

Message rows go first and are insert-or-ignore (the first sight of an id wins), then hops, then
each touched message's status is set from its latest stored hop. Deriving the status from the
hops table, rather than from this batch, keeps it right when a hop was written before its
message or when hops from several processes arrive out of order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bus._journal._queue import Batch, MessageEntry
from bus._journal._records import HopRecord
from bus._journal._tables import NO_HOP_STATUS, hops, messages

# Keeps `IN (...)` lists well under SQLite's bound-parameter limit whatever the batch size.
_IDS_PER_STATEMENT = 500


def rows_refused(error: BaseException) -> bool:
    """Whether `error` says the rows themselves are unwritable, so retrying cannot help."""
    if isinstance(error, sa.exc.DataError | sa.exc.IntegrityError):
        return True
    if isinstance(error, sa.exc.DBAPIError):
        return False  # the connection, a lock, a missing table: the database may come back
    if isinstance(error, sa.exc.StatementError):
        return True  # failed while binding values: bad JSON, a wrong type
    # Outside SQLAlchemy and the network, the error came from converting an envelope.
    return not isinstance(error, sa.exc.SQLAlchemyError | OSError)


def _message_row(entry: MessageEntry) -> dict[str, Any]:
    envelope = entry.envelope
    return {
        "id": envelope.id,
        "type": envelope.type,
        "source": envelope.source,
        "subject": envelope.subject,
        # CloudEvents makes the extension optional; a message with none starts its own chain.
        "correlation_id": envelope.correlationid or envelope.id,
        "causation_id": envelope.causationid,
        "time": envelope.time,
        "first_seen": entry.first_seen,
        "status": NO_HOP_STATUS,
        "envelope": envelope.to_dict(),
    }


def _hop_row(entry: HopRecord) -> dict[str, Any]:
    return {
        "message_id": entry.message_id,
        "hop": entry.hop.value,
        "at": entry.at,
        "consumer": entry.consumer,
        "attempt": entry.attempt,
        "duration_ms": entry.duration_ms,
        "error": entry.error,
        "detail": entry.detail,
    }


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    for message_id in ids:
        chunk.append(message_id)
        if len(chunk) == _IDS_PER_STATEMENT:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert_new_messages(connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(postgresql.insert(messages).on_conflict_do_nothing(), rows)
    elif dialect == "sqlite":
        connection.execute(sqlite.insert(messages).on_conflict_do_nothing(), rows)
    else:
        # No portable insert-or-ignore: skip the ids already stored. Racy across processes,
        # which only the two dialects above are supported for.
        known: set[str] = set()
        for chunk in _chunks(row["id"] for row in rows):
            known.update(
                connection.scalars(sa.select(messages.c.id).where(messages.c.id.in_(chunk)))
            )
        rows = [row for row in rows if row["id"] not in known]
        if rows:
            connection.execute(messages.insert(), rows)


def _refresh_status(connection: sa.Connection, message_ids: set[str]) -> None:
    latest = (
        sa.select(hops.c.hop)
        .where(hops.c.message_id == messages.c.id)
        .order_by(hops.c.at.desc(), hops.c.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    has_hops = sa.exists().where(hops.c.message_id == messages.c.id)
    for chunk in _chunks(sorted(message_ids)):
        connection.execute(
            messages.update().where(messages.c.id.in_(chunk), has_hops).values(status=latest)
        )


def write_batch(engine: sa.Engine, batch: Batch) -> None:
    """Write `batch` in one transaction; raises what the database raised, writing nothing."""
    first_seen: dict[str, dict[str, Any]] = {}
    for entry in batch.messages:
        row = _message_row(entry)
        first_seen.setdefault(row["id"], row)
    hop_rows = [_hop_row(entry) for entry in batch.hops]
    with engine.begin() as connection:
        if first_seen:
            _insert_new_messages(connection, list(first_seen.values()))
        if hop_rows:
            connection.execute(hops.insert(), hop_rows)
        _refresh_status(connection, set(first_seen) | {row["message_id"] for row in hop_rows})
