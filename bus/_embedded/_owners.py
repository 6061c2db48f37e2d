"""Owners: the channels that hold reservations, and finding the ones that died.

Every channel registers an owner row (pid, hostname, process start) and refreshes its heartbeat
while it polls, acks or publishes. An owner is dead when its heartbeat is older than the
visibility timeout, or at once when it ran on this host and its process is gone, so a
``kill -9``'d consumer's messages come back to the next consumer without waiting. Burying a dead
owner releases its reservations (marked redelivered) and drops its exclusive/auto-delete queues.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from . import _messages, _process, _topology

HOSTNAME = socket.gethostname()


@dataclass(frozen=True)
class Burial:
    """What burying an owner gave back: messages made ready again, queues dropped."""

    released: int = 0
    dropped_queues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Owner:
    id: str
    pid: int
    hostname: str
    pid_start: str | None
    heartbeat: float


def register(db: sqlite3.Connection, owner_id: str, now: float) -> None:
    pid = os.getpid()
    db.execute(
        "INSERT OR REPLACE INTO owners VALUES (?, ?, ?, ?, ?)",
        (owner_id, pid, HOSTNAME, _process.start_token(pid), now),
    )


def heartbeat(db: sqlite3.Connection, owner_id: str, now: float) -> None:
    """Refresh the heartbeat; re-register if another process buried us as dead meanwhile."""
    cursor = db.execute("UPDATE owners SET heartbeat = ? WHERE id = ?", (now, owner_id))
    if cursor.rowcount == 0:
        register(db, owner_id, now)


def _owners(db: sqlite3.Connection) -> list[Owner]:
    return [
        Owner(str(i), int(pid), str(host), start, float(beat))
        for i, pid, host, start, beat in db.execute(
            "SELECT id, pid, hostname, pid_start, heartbeat FROM owners"
        )
    ]


def find_dead(
    db: sqlite3.Connection,
    *,
    now: float,
    visibility_timeout: float,
    is_alive: Callable[[int, str | None], bool] = _process.is_alive,
) -> list[Owner]:
    """Owners whose heartbeat is stale, or whose process on this host has exited."""
    return [
        owner
        for owner in _owners(db)
        if owner.heartbeat < now - visibility_timeout
        or (owner.hostname == HOSTNAME and not is_alive(owner.pid, owner.pid_start))
    ]


def bury(db: sqlite3.Connection, owner: Owner | str, now: float) -> Burial:
    """Release what ``owner`` held and drop its exclusive and auto-delete queues.

    Call inside a write transaction. Given an :class:`Owner` read earlier, nothing happens when
    its heartbeat moved since: it is alive after all, and another process may be burying it too.
    """
    if isinstance(owner, Owner):
        gone = db.execute(
            "DELETE FROM owners WHERE id = ? AND heartbeat = ?", (owner.id, owner.heartbeat)
        ).rowcount
        if not gone:
            return Burial()
        owner_id = owner.id
    else:
        owner_id = owner
        db.execute("DELETE FROM owners WHERE id = ?", (owner_id,))
    queues = tuple(_topology.owned_queues(db, owner_id))
    for queue in queues:
        _messages.delete_queue_messages(db, queue, now)
        _topology.delete_queue_definition(db, queue)
    return Burial(_messages.release_owner(db, owner_id), queues)
