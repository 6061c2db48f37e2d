"""Reading the journal: one message's journey, searches, and deleting by age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bus._journal._records import Hop, HopRecord, MessageRecord
from bus._journal._tables import hops, messages


def _message_record(row: sa.Row[Any], hop_records: list[HopRecord]) -> MessageRecord:
    return MessageRecord(
        id=row.id,
        type=row.type,
        source=row.source,
        subject=row.subject,
        correlation_id=row.correlation_id,
        causation_id=row.causation_id,
        time=row.time,
        first_seen=row.first_seen,
        status=row.status,
        envelope=row.envelope,
        hops=hop_records,
    )


def _hop_record(row: sa.Row[Any]) -> HopRecord:
    return HopRecord(
        message_id=row.message_id,
        hop=Hop(row.hop),
        at=row.at,
        consumer=row.consumer,
        attempt=row.attempt,
        duration_ms=row.duration_ms,
        error=row.error,
        detail=row.detail,
    )


def find(engine: sa.Engine, message_id: str) -> MessageRecord | None:
    with engine.connect() as connection:
        row = connection.execute(sa.select(messages).where(messages.c.id == message_id)).first()
        if row is None:
            return None
        hop_rows = connection.execute(
            sa.select(hops).where(hops.c.message_id == message_id).order_by(hops.c.at, hops.c.seq)
        ).all()
    return _message_record(row, [_hop_record(hop_row) for hop_row in hop_rows])


def search(
    engine: sa.Engine,
    *,
    message_id: str | None,
    correlation_id: str | None,
    subject: str | None,
    type_: str | None,
    consumer: str | None,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[MessageRecord]:
    query = sa.select(messages)
    equal_to = {
        messages.c.id: message_id,
        messages.c.correlation_id: correlation_id,
        messages.c.subject: subject,
        messages.c.type: type_,
        messages.c.status: status,
    }
    for column, value in equal_to.items():
        if value is not None:
            query = query.where(column == value)
    if consumer is not None:
        query = query.where(
            sa.exists().where(hops.c.message_id == messages.c.id, hops.c.consumer == consumer)
        )
    if since is not None:
        query = query.where(messages.c.time >= since)
    if until is not None:
        query = query.where(messages.c.time < until)
    query = query.order_by(messages.c.time.desc(), messages.c.id.desc()).limit(limit)
    with engine.connect() as connection:
        return [_message_record(row, []) for row in connection.execute(query)]


def purge(engine: sa.Engine, *, older_than: timedelta) -> int:
    """Delete messages first seen before now - `older_than`, with all their hops; count them.

    A message's age is the journal's own first sight of it, and its hops go with it, so a
    journey is never cut in half; hops of never-seen messages go by their own time.
    """
    cutoff = datetime.now(UTC) - older_than
    expired = sa.select(messages.c.id).where(messages.c.first_seen < cutoff)
    orphan = ~sa.exists().where(messages.c.id == hops.c.message_id)
    with engine.begin() as connection:
        connection.execute(
            hops.delete().where(
                sa.or_(hops.c.message_id.in_(expired), sa.and_(hops.c.at < cutoff, orphan))
            )
        )
        result = connection.execute(messages.delete().where(messages.c.first_seen < cutoff))
    return int(result.rowcount)


def dead_letter_queues(engine: sa.Engine, *, scan: int = 50_000) -> list[str]:
    """Queues that messages were dead-lettered to, from the latest `scan` such hops."""
    query = (
        sa.select(hops.c.detail)
        .where(hops.c.hop == "dead_lettered")
        .order_by(hops.c.seq.desc())
        .limit(scan)
    )
    with engine.connect() as connection:
        details = connection.scalars(query).all()
    return sorted({d["queue"] for d in details if isinstance(d, dict) and d.get("queue")})


def size_bytes(engine: sa.Engine) -> int:
    """What the journal's tables take: pages in use on SQLite (freed pages are reused, so a
    file that stops growing is a journal that stays within its limit), the relations' total
    size on PostgreSQL."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar() or 0
            free = connection.exec_driver_sql("PRAGMA freelist_count").scalar() or 0
            page_size = connection.exec_driver_sql("PRAGMA page_size").scalar() or 0
            return int((pages - free) * page_size)
        if engine.dialect.name == "postgresql":
            total = connection.execute(
                sa.text("SELECT pg_total_relation_size(:m) + pg_total_relation_size(:h)"),
                {"m": messages.name, "h": hops.name},
            ).scalar()
            return int(total or 0)
    return 0


def purge_oldest(engine: sa.Engine, *, count: int, chunk: int = 500) -> int:
    """Delete the `count` messages seen first, with their hops, `chunk` at a time (each in its
    own short transaction, so neither memory nor the write lock grows with `count`)."""
    purged = 0
    while purged < count:
        take = min(chunk, count - purged)
        oldest = sa.select(messages.c.id).order_by(messages.c.first_seen).limit(take)
        with engine.begin() as connection:
            ids = list(connection.scalars(oldest))
            if not ids:
                break
            connection.execute(hops.delete().where(hops.c.message_id.in_(ids)))
            connection.execute(messages.delete().where(messages.c.id.in_(ids)))
        purged += len(ids)
    return purged


def message_count(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(sa.select(sa.func.count()).select_from(messages)) or 0)
