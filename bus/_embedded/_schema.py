"""The broker file: its tables, and how a connection to it is opened.

All processes that share a broker open the same file. WAL lets readers run beside the one
writer; ``busy_timeout`` makes a writer wait for the lock instead of failing at once.
``synchronous=NORMAL`` (the default) survives a process crash, since every committed transaction
is in the WAL file the OS holds; only a power loss or kernel crash can lose the last commits.
Use ``synchronous=FULL`` when the machine itself may lose power.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")

# Messages keep their kombu payload as JSON text. A message is *ready* when owner IS NULL and
# visible_at has passed; a reserved one names its owner; an acked one is deleted. delayed_in
# names the TTL queue a delayed message is still waiting in, so that queue can report a depth.
_DDL = """
CREATE TABLE IF NOT EXISTS exchanges (
    name TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    durable INTEGER NOT NULL,
    auto_delete INTEGER NOT NULL,
    arguments TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS queues (
    name TEXT PRIMARY KEY,
    durable INTEGER NOT NULL,
    exclusive INTEGER NOT NULL,
    auto_delete INTEGER NOT NULL,
    arguments TEXT NOT NULL,
    owner TEXT
);
CREATE INDEX IF NOT EXISTS ix_queues_owner ON queues (owner) WHERE owner IS NOT NULL;
CREATE TABLE IF NOT EXISTS bindings (
    queue TEXT NOT NULL,
    exchange TEXT NOT NULL,
    routing_key TEXT NOT NULL,
    arguments TEXT NOT NULL,
    PRIMARY KEY (queue, exchange, routing_key)
);
CREATE INDEX IF NOT EXISTS ix_bindings_exchange ON bindings (exchange);
CREATE TABLE IF NOT EXISTS topology (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT OR IGNORE INTO topology VALUES (1, 0);
CREATE TABLE IF NOT EXISTS owners (
    id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    hostname TEXT NOT NULL,
    pid_start TEXT,
    heartbeat REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    queue TEXT NOT NULL,
    payload TEXT NOT NULL,
    visible_at REAL NOT NULL,
    owner TEXT,
    reserved_at REAL,
    redelivered INTEGER NOT NULL DEFAULT 0,
    delayed_in TEXT
);
CREATE INDEX IF NOT EXISTS ix_messages_ready ON messages (queue, id) WHERE owner IS NULL;
CREATE INDEX IF NOT EXISTS ix_messages_owner ON messages (owner) WHERE owner IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_messages_delayed ON messages (delayed_in)
    WHERE delayed_in IS NOT NULL;
INSERT OR IGNORE INTO exchanges VALUES
    ('amq.direct', 'direct', 1, 0, '{}'),
    ('amq.topic', 'topic', 1, 0, '{}'),
    ('amq.fanout', 'fanout', 1, 0, '{}');
"""


def open_database(path: Path, *, synchronous: str, busy_timeout: float) -> sqlite3.Connection:
    """Open (creating if needed) the broker file, with its tables, in WAL mode."""
    level = synchronous.upper()
    if level not in SYNCHRONOUS_LEVELS:
        raise ValueError(
            f"transport option synchronous={synchronous!r} is not a SQLite level; "
            f"use one of {', '.join(SYNCHRONOUS_LEVELS)} (NORMAL survives a process crash, "
            "FULL also a power loss)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a transaction takes the write
    # lock up front (and waits for it) rather than failing when a read upgrades to a write.
    db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={level}")
        db.execute("BEGIN IMMEDIATE")
        for statement in _DDL.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("COMMIT")
    except BaseException:
        db.close()
        raise
    return db


@contextmanager
def write_transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One atomic write: all of it is committed (the durable point) or none of it."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
