"""Progress per file, by content hash, in a small SQLite database: the last record the broker
confirmed, and whether the file is finished. A restart resumes after that record."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
create table if not exists files (
    sha256 text primary key,
    name text not null,
    last_record integer not null default 0,
    status text not null,
    updated text not null
)
"""


class FileProgress:
    """One inbox's progress table. Not shared between threads: each source owns its own."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: each statement commits at once; a commit is one fsync'd write.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=full")
        self._db.execute(_SCHEMA)

    def status(self, sha256: str) -> tuple[str, int] | None:
        row = self._db.execute(
            "select status, last_record from files where sha256 = ?", (sha256,)
        ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    def begin(self, sha256: str, name: str) -> int:
        """Start or resume a file; the number of the last record already confirmed."""
        self._db.execute(
            "insert into files (sha256, name, status, updated) values (?, ?, 'reading', ?) "
            "on conflict (sha256) do nothing",
            (sha256, name, _now()),
        )
        found = self.status(sha256)
        return found[1] if found else 0

    def confirm(self, sha256: str, last_record: int) -> None:
        self._db.execute(
            "update files set last_record = ?, updated = ? where sha256 = ?",
            (last_record, _now(), sha256),
        )

    def finish(self, sha256: str, status: str) -> None:
        self._db.execute(
            "update files set status = ?, updated = ? where sha256 = ?", (status, _now(), sha256)
        )

    def close(self) -> None:
        self._db.close()


def _now() -> str:
    return datetime.now(UTC).isoformat()
