"""The idempotency store: a message id is handled once per consumer, even when delivered twice.

A claim is a row (consumer, message_id) inserted in a transaction the handler can write in too:
the record and the handler's own effects commit together or not at all, so a crash between
"did the work" and "remembered it" cannot happen.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bus.migrations import UTCDateTime, database_engine
from bus.migrations import migrate as migrate_database

metadata = sa.MetaData()

claims = sa.Table(
    "idempotency_claims",
    metadata,
    sa.Column("consumer", sa.String(), primary_key=True),
    sa.Column("message_id", sa.String(), primary_key=True),
    sa.Column("handled_at", UTCDateTime(), nullable=False),
    sa.Index("ix_idempotency_claims_handled_at", "handled_at"),
)

_SAVEPOINT = "civicbus_claim"

# A handler may hold SQLite's write lock for as long as it works; other claims queue behind it.
_SQLITE_BUSY_TIMEOUT = 30.0


@dataclass
class Claim:
    """The outcome of claiming a message id for a consumer."""

    duplicate: bool  # True: this consumer already handled this id; do nothing
    connection: sa.Connection  # in an open transaction; the handler may write with it


class IdempotencyStore:
    """Records which consumer handled which message id, transactionally with the handler."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        if migrate:
            migrate_database(url)
        # IMMEDIATE: two claims on SQLite queue for the write lock instead of one of them
        # failing with "database is locked" when its read lock cannot be upgraded.
        self._engine = database_engine(
            url, busy_timeout=_SQLITE_BUSY_TIMEOUT, sqlite_begin="IMMEDIATE"
        )

    @contextmanager
    def claim(self, consumer: str, message_id: str) -> Iterator[Claim]:
        """Claim `message_id` for `consumer` for the duration of the block.

        Leaving the block normally commits the claim and whatever the handler wrote through
        `claim.connection`; an exception rolls both back so a redelivery can claim again. A
        duplicate claim writes nothing and is rolled back.
        """
        with self._engine.connect() as connection:
            transaction = connection.begin()
            try:
                duplicate = not _insert_claim(connection, consumer, message_id)
                yield Claim(duplicate=duplicate, connection=connection)
            except BaseException:
                transaction.rollback()
                raise
            if duplicate:
                transaction.rollback()
            else:
                transaction.commit()

    @contextmanager
    def unit(self) -> Iterator[sa.Connection]:
        """One transaction shared by several claims (a consumer's batch), committed on leaving
        the block normally and rolled back on an exception. Claim inside it with `claim_in`."""
        with self._engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def claim_in(
        self, connection: sa.Connection, consumer: str, message_id: str
    ) -> Iterator[Claim]:
        """Claim `message_id` inside the open transaction of `connection`, in a savepoint: an
        exception, or a duplicate, undoes only this claim and what the handler wrote with it."""
        # Plain SAVEPOINT statements: SQLAlchemy's begin_nested() compiles its statements
        # anew each time, and this runs for every message a consumer handles.
        connection.exec_driver_sql(f"SAVEPOINT {_SAVEPOINT}")
        try:
            inserted = _insert_claim(connection, consumer, message_id)
            yield Claim(duplicate=not inserted, connection=connection)
        except BaseException:
            connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            connection.exec_driver_sql(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            raise
        if not inserted:
            connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        connection.exec_driver_sql(f"RELEASE SAVEPOINT {_SAVEPOINT}")

    def seen(self, consumer: str, message_id: str) -> bool:
        """Whether `consumer` has handled `message_id` (a committed claim exists)."""
        query = sa.select(sa.literal(1)).where(
            claims.c.consumer == consumer, claims.c.message_id == message_id
        )
        with self._engine.connect() as connection:
            return connection.execute(query).first() is not None

    def purge(self, *, older_than: timedelta) -> int:
        """Forget claims older than `older_than`; returns how many went.

        Keep `older_than` longer than the broker could still redeliver a message.
        """
        cutoff = datetime.now(UTC) - older_than
        with self._engine.begin() as connection:
            result = connection.execute(claims.delete().where(claims.c.handled_at < cutoff))
        return int(result.rowcount)

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()


@functools.cache
def _upsert_statement(dialect: str) -> sa.Insert | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING, built once per dialect (it is on the hot
    path of every message); None where the dialect has no such statement."""
    if dialect not in ("postgresql", "sqlite"):
        return None
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(claims)
    # RETURNING rather than rowcount: drivers do not all report rowcount for an INSERT.
    statement: sa.Insert = insert.on_conflict_do_nothing().returning(claims.c.message_id)
    return statement


def _insert_claim(connection: sa.Connection, consumer: str, message_id: str) -> bool:
    """Insert the claim row; False when it already exists (committed by someone else).

    On PostgreSQL a concurrent uncommitted claim of the same id makes this wait for that
    transaction: it then either sees the row (duplicate) or, after a rollback, inserts it.
    """
    row = {"consumer": consumer, "message_id": message_id, "handled_at": datetime.now(UTC)}
    statement = _upsert_statement(connection.dialect.name)
    if statement is not None:
        return connection.execute(statement, row).first() is not None
    try:
        # Other backends: a savepoint keeps the transaction usable after the key violation.
        with connection.begin_nested():
            connection.execute(claims.insert(), row)
    except sa.exc.IntegrityError:
        return False
    return True
