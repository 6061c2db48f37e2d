"""Replies kept for requests that change data, so a redelivered request is answered again
from the record instead of being applied to the legacy system twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import PurePath

import sqlalchemy as sa

from bus.migrations import UTCDateTime, database_engine
from bus.migrations import migrate as migrate_database

metadata = sa.MetaData()

replies = sa.Table(
    "operation_replies",
    metadata,
    sa.Column("adapter", sa.String(), primary_key=True),
    sa.Column("request_id", sa.String(), primary_key=True),
    sa.Column("reply", sa.LargeBinary(), nullable=False),
    sa.Column("stored_at", UTCDateTime(), nullable=False),
    sa.Index("ix_operation_replies_stored_at", "stored_at"),
)


def replies_url(state_url: str) -> str:
    """Where replies are kept: the state database, except on SQLite, where they get a file of
    their own. A consumer holds the SQLite file's only write lock for its whole batch, and a
    handler (a route's call step) may wait in it for an operation whose server keeps its reply
    before answering: in one file the two would wait for each other until both time out."""
    url = sa.make_url(state_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return state_url
    database = PurePath(url.database)
    own = database.with_name(f"{database.stem}-replies{database.suffix or '.db'}")
    return url.set(database=str(own)).render_as_string(hide_password=False)


class ReplyStore:
    """The final reply to each request an adapter answered, by request id."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        if migrate:
            migrate_database(url)
        self._engine = database_engine(url, sqlite_begin="IMMEDIATE")

    def find(self, adapter: str, request_id: str) -> bytes | None:
        query = sa.select(replies.c.reply).where(
            replies.c.adapter == adapter, replies.c.request_id == request_id
        )
        with self._engine.connect() as connection:
            found = connection.execute(query).scalar()
        return bytes(found) if found is not None else None

    def keep(self, adapter: str, request_id: str, reply: bytes) -> None:
        row = {
            "adapter": adapter,
            "request_id": request_id,
            "reply": reply,
            "stored_at": datetime.now(UTC),
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(replies.insert(), row)
        except sa.exc.IntegrityError:
            pass  # another delivery of the same request kept its reply first

    def purge(self, *, older_than: timedelta) -> int:
        cutoff = datetime.now(UTC) - older_than
        with self._engine.begin() as connection:
            result = connection.execute(replies.delete().where(replies.c.stored_at < cutoff))
        return int(result.rowcount)

    def close(self) -> None:
        self._engine.dispose()
