"""One way to open a civicbus database, so every store gets the same SQLite pragmas and JSON.

SQLite is the laptop default and PostgreSQL the production one; the differences that matter
(write locks, time zones, JSON of non-JSON values) are settled here once.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url

SqliteBegin = Literal["DEFERRED", "IMMEDIATE"]


def _json_default(value: object) -> str:
    # Envelopes normally arrive as JSON-mode dicts; a stray datetime or UUID must not make the
    # whole batch unwritable, so it is stored as its ISO or string form.
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return repr(value)


def dumps_json(value: object) -> str:
    """JSON text for a column; values JSON cannot express are stored as strings."""
    return json.dumps(value, default=_json_default, separators=(",", ":"))


def sqlite_path(url: str | URL) -> Path | None:
    """The file behind a SQLite URL, or None for other backends and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def database_engine(
    url: str, *, busy_timeout: float = 30.0, sqlite_begin: SqliteBegin = "DEFERRED"
) -> sa.Engine:
    """An engine for `url`; for SQLite a file in WAL mode whose folder is created if missing.

    `sqlite_begin="IMMEDIATE"` takes SQLite's write lock when a transaction begins, so two
    writers queue on `busy_timeout` instead of one failing with "database is locked" when it
    upgrades a read lock.
    """
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, json_serializer=dumps_json)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout=busy_timeout, begin=sqlite_begin)
    return engine


def _configure_sqlite(engine: sa.Engine, *, busy_timeout: float, begin: SqliteBegin) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # sqlite3's legacy mode would skip BEGIN before DDL and SELECT; SQLAlchemy emits
        # BEGIN itself (below) so migrations are transactional and the lock mode is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first: switching to WAL itself needs a lock another process may hold.
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            _switch_to_wal(cursor, busy_timeout)
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql(f"BEGIN {begin}")


def _switch_to_wal(cursor: Any, busy_timeout: float) -> None:
    # Leaving rollback-journal mode needs an exclusive lock, and SQLite answers "database is
    # locked" at once, without its busy handler, while another connection writes (several
    # processes creating the same new database). Once in WAL the pragma is a no-op.
    deadline = time.monotonic() + busy_timeout
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
