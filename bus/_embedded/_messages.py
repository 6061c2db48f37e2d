"""Message rows: store, reserve, acknowledge, release, count, purge.

A published message is a committed row. Getting it RESERVES the row (owner + reserved_at) rather
than deleting it, so a consumer that dies before acking loses nothing: its rows are released when
its owner is found dead. Ack deletes the row; release makes it ready again, marked redelivered.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kombu.utils import json as kombu_json

from ._topology import Death, Destination

# kombu's JSON (what its redis transport stores) also round-trips datetimes, UUIDs and bytes
# in headers; it is untyped, so it is named here with its types.
dumps: Callable[[Any], str] = kombu_json.dumps
loads: Callable[[str], Any] = kombu_json.loads


@dataclass(frozen=True)
class Delivery:
    """A reserved (or, without acks, taken) row."""

    id: int
    payload: dict[str, Any]
    redelivered: bool


def encode(message: dict[str, Any], destination: Destination) -> str:
    """The stored form of ``message`` as it arrives at ``destination``."""
    if not destination.deaths:
        return dumps(message)
    # A dead-lettered message arrives from the dead-letter exchange with the dead-letter routing
    # key and RabbitMQ's x-death bookkeeping, so retry counting reads the same on both brokers.
    copy = loads(dumps(message))
    copy["properties"]["delivery_info"].update(
        exchange=destination.exchange, routing_key=destination.routing_key
    )
    headers = copy.setdefault("headers", {}) or {}
    copy["headers"] = headers
    for death in destination.deaths:
        _record_death(headers, death)
    return dumps(copy)


def _record_death(headers: dict[str, Any], death: Death) -> None:
    deaths: list[dict[str, Any]] = list(headers.get("x-death") or [])
    entry: dict[str, Any] = {
        "count": 1,
        "reason": "expired",
        "queue": death.queue,
        "exchange": death.exchange,
        "routing-keys": [death.routing_key],
    }
    for index, previous in enumerate(deaths):
        if previous.get("queue") == death.queue and previous.get("reason") == "expired":
            entry["count"] = int(previous.get("count", 0)) + 1
            del deaths[index]
            break
    headers["x-death"] = [entry, *deaths]  # newest first, as RabbitMQ orders them
    headers.setdefault("x-first-death-queue", death.queue)
    headers.setdefault("x-first-death-exchange", death.exchange)
    headers.setdefault("x-first-death-reason", "expired")


def insert(
    db: sqlite3.Connection,
    message: dict[str, Any],
    destinations: list[Destination],
    now: float,
) -> None:
    plain: str | None = None
    rows = []
    for destination in destinations:
        if destination.deaths:
            payload = encode(message, destination)
        else:
            plain = plain if plain is not None else encode(message, destination)
            payload = plain
        rows.append((destination.queue, payload, now + destination.delay, destination.delayed_in))
    db.executemany(
        "INSERT INTO messages (queue, payload, visible_at, delayed_in) VALUES (?, ?, ?, ?)", rows
    )


def _decode(rows: list[tuple[int, str, int]]) -> list[Delivery]:
    # RETURNING gives rows in no particular order; FIFO is by insertion id.
    return [
        Delivery(row_id, loads(payload), bool(redelivered))
        for row_id, payload, redelivered in sorted(rows)
    ]


_READY = (
    "SELECT id FROM messages WHERE queue = ? AND owner IS NULL AND visible_at <= ? "
    "ORDER BY id LIMIT ?"
)


def reserve(
    db: sqlite3.Connection, queue: str, owner: str, limit: int, now: float
) -> list[Delivery]:
    """Reserve up to ``limit`` ready messages of ``queue`` for ``owner``, oldest first."""
    rows = db.execute(
        f"UPDATE messages SET owner = ?, reserved_at = ? WHERE id IN ({_READY}) "
        "RETURNING id, payload, redelivered",
        (owner, now, queue, now, limit),
    ).fetchall()
    return _decode(rows)


def take(db: sqlite3.Connection, queue: str, limit: int, now: float) -> list[Delivery]:
    """Remove up to ``limit`` ready messages at once, for consumers that do not ack."""
    rows = db.execute(
        f"DELETE FROM messages WHERE id IN ({_READY}) RETURNING id, payload, redelivered",
        (queue, now, limit),
    ).fetchall()
    return _decode(rows)


def delete(db: sqlite3.Connection, row_id: int, owner: str) -> bool:
    """Delete a row this owner still holds; False when it was reclaimed meanwhile."""
    cursor = db.execute("DELETE FROM messages WHERE id = ? AND owner = ?", (row_id, owner))
    return cursor.rowcount > 0


def release(db: sqlite3.Connection, row_ids: list[int], owner: str, *, redelivered: bool) -> int:
    """Make held rows ready again; ``redelivered`` marks those the application has seen."""
    flag = "1" if redelivered else "redelivered"
    cursor = db.executemany(
        "UPDATE messages SET owner = NULL, reserved_at = NULL, redelivered = "
        f"{flag} WHERE id = ? AND owner = ?",
        [(row_id, owner) for row_id in row_ids],
    )
    return cursor.rowcount


def release_owner(db: sqlite3.Connection, owner: str) -> int:
    """Make every row ``owner`` holds ready again, marked redelivered."""
    cursor = db.execute(
        "UPDATE messages SET owner = NULL, reserved_at = NULL, redelivered = 1 WHERE owner = ?",
        (owner,),
    )
    return cursor.rowcount


def ready_count(db: sqlite3.Connection, queue: str, now: float) -> int:
    """Messages a consumer could get now, plus those still waiting in ``queue`` as a TTL queue."""
    (ready,) = db.execute(
        "SELECT COUNT(*) FROM messages WHERE queue = ? AND owner IS NULL AND visible_at <= ?",
        (queue, now),
    ).fetchone()
    (waiting,) = db.execute(
        "SELECT COUNT(*) FROM messages WHERE delayed_in = ? AND visible_at > ?", (queue, now)
    ).fetchone()
    return int(ready) + int(waiting)


def purge(db: sqlite3.Connection, queue: str, now: float) -> int:
    """Delete the ready messages of ``queue`` (and those waiting in it as a TTL queue)."""
    ready = db.execute(
        "DELETE FROM messages WHERE queue = ? AND owner IS NULL AND visible_at <= ?",
        (queue, now),
    ).rowcount
    waiting = db.execute(
        "DELETE FROM messages WHERE delayed_in = ? AND visible_at > ?", (queue, now)
    ).rowcount
    return int(ready) + int(waiting)


def delete_queue_messages(db: sqlite3.Connection, queue: str, now: float) -> int:
    """Drop every message of a deleted queue, held or not; returns how many were ready."""
    ready = purge(db, queue, now)
    db.execute("DELETE FROM messages WHERE queue = ?", (queue,))
    return ready
