"""Database exceptions as the civicbus errors the Guard and the dead-letter logic act on:
bad requests (constraint violations, bad data) are final, lost connections, lock timeouts and
deadlocks pass with a retry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from adapters._errors import LegacyFault, LegacyTimeout, LegacyUnavailable

# PostgreSQL's query_canceled (statement_timeout ran out) and lock_not_available
# (lock_timeout ran out waiting for a lock a legacy job holds): both a timeout, retried.
_PG_TIMED_OUT = ("57014", "55P03")


def database_message(exc: sa.exc.DBAPIError) -> str:
    return " ".join(str(exc.orig if exc.orig is not None else exc).split())[:1000]


@contextmanager
def translated(adapter: str, what: str) -> Iterator[None]:
    try:
        yield
    except (sa.exc.IntegrityError, sa.exc.DataError, sa.exc.ProgrammingError) as exc:
        raise LegacyFault(
            f"{adapter}: the database refused {what}: {database_message(exc)}; the request "
            "will not pass as it is, correct its values",
            fault_code=type(exc.orig).__name__,
            retryable=False,
            detail={"statement": exc.statement},
        ) from exc
    except sa.exc.OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) in _PG_TIMED_OUT:
            raise LegacyTimeout(
                f"{adapter}: {what} ran past the adapter's timeout and was cancelled; raise "
                "`timeout` if the database is slow by nature",
            ) from exc
        raise LegacyUnavailable(
            f"{adapter}: {what} failed on the database connection ({database_message(exc)}); "
            "it is retried — check the database is up if this persists",
        ) from exc
    except sa.exc.DBAPIError as exc:
        if exc.connection_invalidated:
            raise LegacyUnavailable(
                f"{adapter}: lost the database connection during {what}; it is retried",
            ) from exc
        raise LegacyFault(
            f"{adapter}: the database failed {what}: {database_message(exc)}",
            fault_code=type(exc.orig).__name__,
            retryable=False,
        ) from exc
