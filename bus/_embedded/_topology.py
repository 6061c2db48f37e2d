"""Exchanges, queues and bindings, stored in the broker file so every process sees them.

A process that only publishes routes through bindings another process declared, as it would on
RabbitMQ. Matching reuses kombu's virtual exchange types (direct, topic with ``*`` and ``#``,
fanout); the default exchange ``""`` routes by queue name.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kombu.transport.virtual.exchange import STANDARD_EXCHANGE_TYPES, ExchangeType

from ._errors import BrokerNotFound, BrokerPreconditionFailed

EXCHANGE_TYPES = frozenset(STANDARD_EXCHANGE_TYPES)

# Matching never touches the channel the exchange types keep, so one instance each serves all.
_MATCHERS: dict[str, ExchangeType] = {
    name: cls(None) for name, cls in STANDARD_EXCHANGE_TYPES.items()
}

# A TTL queue may dead-letter into another TTL queue; a loop of them must not recurse forever.
_MAX_DEAD_LETTER_HOPS = 8

_QUEUE_DECLARE = (50, 10)
_QUEUE_BIND = (50, 20)
_EXCHANGE_DECLARE = (40, 10)
_BASIC_PUBLISH = (60, 40)


@dataclass(frozen=True)
class Death:
    """One pass through a TTL queue, recorded in the message's ``x-death`` header."""

    queue: str
    exchange: str
    routing_key: str


@dataclass(frozen=True)
class Destination:
    """Where one published message lands, and after how long it becomes visible there."""

    queue: str
    exchange: str
    routing_key: str
    delay: float = 0.0
    delayed_in: str | None = None
    deaths: tuple[Death, ...] = ()


def version(db: sqlite3.Connection) -> int:
    """A number that changes whenever any process changes exchanges, queues or bindings.

    Publishers cache routes and check this inside the publish transaction, so a route is never
    used after the topology it came from changed.
    """
    (number,) = db.execute("SELECT version FROM topology WHERE id = 1").fetchone()
    return int(number)


def _changed(db: sqlite3.Connection) -> None:
    db.execute("UPDATE topology SET version = version + 1 WHERE id = 1")


def _dumps(arguments: dict[str, Any] | None) -> str:
    return json.dumps(arguments or {}, sort_keys=True, default=str)


def declare_exchange(
    db: sqlite3.Connection,
    name: str,
    kind: str,
    *,
    durable: bool,
    auto_delete: bool,
    arguments: dict[str, Any] | None,
    passive: bool,
) -> None:
    row = db.execute(
        "SELECT type, durable, auto_delete, arguments FROM exchanges WHERE name = ?", (name,)
    ).fetchone()
    if passive:
        if row is None:
            raise BrokerNotFound(
                f"NOT_FOUND - no exchange {name!r} in the embedded broker; declare it first",
                _EXCHANGE_DECLARE,
            )
        return
    if kind not in EXCHANGE_TYPES:
        raise BrokerPreconditionFailed(
            f"exchange {name!r} has type {kind!r}, which the embedded broker does not route; "
            f"use one of {', '.join(sorted(EXCHANGE_TYPES))}",
            _EXCHANGE_DECLARE,
        )
    wanted = (kind, int(durable), int(auto_delete), _dumps(arguments))
    if row is None:
        db.execute("INSERT INTO exchanges VALUES (?, ?, ?, ?, ?)", (name, *wanted))
        _changed(db)
    elif tuple(row) != wanted:
        raise BrokerPreconditionFailed(
            f"PRECONDITION_FAILED - exchange {name!r} exists as type={row[0]} durable="
            f"{bool(row[1])} auto_delete={bool(row[2])} arguments={row[3]}, not as "
            f"type={kind} durable={durable} auto_delete={auto_delete} arguments={wanted[3]}; "
            "declare it the same way everywhere, or delete it first",
            _EXCHANGE_DECLARE,
        )


def delete_exchange(db: sqlite3.Connection, name: str) -> None:
    """Delete an exchange and its bindings; its queues stay, as on RabbitMQ."""
    db.execute("DELETE FROM bindings WHERE exchange = ?", (name,))
    db.execute("DELETE FROM exchanges WHERE name = ?", (name,))
    _changed(db)


def exchange_names(db: sqlite3.Connection) -> list[str]:
    return [name for (name,) in db.execute("SELECT name FROM exchanges ORDER BY name")]


def exchange_type(db: sqlite3.Connection, name: str) -> str | None:
    row = db.execute("SELECT type FROM exchanges WHERE name = ?", (name,)).fetchone()
    return None if row is None else str(row[0])


def declare_queue(
    db: sqlite3.Connection,
    name: str,
    *,
    owner: str,
    durable: bool,
    exclusive: bool,
    auto_delete: bool,
    arguments: dict[str, Any] | None,
    passive: bool,
) -> None:
    row = db.execute(
        "SELECT durable, exclusive, auto_delete, arguments FROM queues WHERE name = ?", (name,)
    ).fetchone()
    if passive:
        if row is None:
            raise BrokerNotFound(
                f"NOT_FOUND - no queue {name!r} in the embedded broker; declare it first "
                "(or check the name)",
                _QUEUE_DECLARE,
            )
        return
    wanted = (int(durable), int(exclusive), int(auto_delete), _dumps(arguments))
    if row is None:
        # Exclusive and auto-delete queues belong to the channel that declared them and go away
        # with it, so stale `civicbus tail` queues never pile up.
        owned_by = owner if exclusive or auto_delete else None
        db.execute("INSERT INTO queues VALUES (?, ?, ?, ?, ?, ?)", (name, *wanted, owned_by))
        _changed(db)
    elif tuple(row) != wanted:
        raise BrokerPreconditionFailed(
            f"PRECONDITION_FAILED - queue {name!r} exists as durable={bool(row[0])} "
            f"exclusive={bool(row[1])} auto_delete={bool(row[2])} arguments={row[3]}, which "
            "differs from this declaration; declare it the same way everywhere, or delete it "
            "first",
            _QUEUE_DECLARE,
        )


def queue_exists(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM queues WHERE name = ?", (name,)).fetchone() is not None


def queue_arguments(db: sqlite3.Connection, name: str) -> dict[str, Any] | None:
    """The queue's declared arguments, or None when no such queue exists."""
    row = db.execute("SELECT arguments FROM queues WHERE name = ?", (name,)).fetchone()
    return None if row is None else dict(json.loads(row[0]))


def delete_queue_definition(db: sqlite3.Connection, name: str) -> None:
    db.execute("DELETE FROM bindings WHERE queue = ?", (name,))
    db.execute("DELETE FROM queues WHERE name = ?", (name,))
    _changed(db)


def owned_queues(db: sqlite3.Connection, owner: str) -> list[str]:
    return [name for (name,) in db.execute("SELECT name FROM queues WHERE owner = ?", (owner,))]


def bind(
    db: sqlite3.Connection,
    queue: str,
    exchange: str,
    routing_key: str,
    arguments: dict[str, Any] | None,
) -> None:
    if exchange_type(db, exchange) is None:
        raise BrokerNotFound(
            f"NOT_FOUND - no exchange {exchange!r} to bind queue {queue!r} to; declare the "
            "exchange first",
            _QUEUE_BIND,
        )
    if not queue_exists(db, queue):
        raise BrokerNotFound(
            f"NOT_FOUND - no queue {queue!r} to bind to exchange {exchange!r}; declare the "
            "queue first",
            _QUEUE_BIND,
        )
    db.execute(
        "INSERT OR IGNORE INTO bindings VALUES (?, ?, ?, ?)",
        (queue, exchange, routing_key, _dumps(arguments)),
    )
    _changed(db)


def unbind(db: sqlite3.Connection, queue: str, exchange: str, routing_key: str) -> None:
    db.execute(
        "DELETE FROM bindings WHERE queue = ? AND exchange = ? AND routing_key = ?",
        (queue, exchange, routing_key),
    )
    _changed(db)


def bindings(db: sqlite3.Connection, exchange: str | None = None) -> list[tuple[str, str, str]]:
    """``(queue, exchange, routing_key)`` of every binding, or of one exchange's."""
    if exchange is None:
        rows = db.execute("SELECT queue, exchange, routing_key FROM bindings ORDER BY rowid")
    else:
        rows = db.execute(
            "SELECT queue, exchange, routing_key FROM bindings WHERE exchange = ? ORDER BY rowid",
            (exchange,),
        )
    return [(str(q), str(e), str(k)) for q, e, k in rows]


@lru_cache(maxsize=4096)
def binding_entry(kind: str, exchange: str, routing_key: str, queue: str) -> tuple[Any, ...]:
    """The ``(routing_key, pattern, queue)`` row kombu's exchange types match against."""
    entry = _MATCHERS[kind].prepare_bind(queue, exchange, routing_key, None)
    return tuple(entry)


def route(db: sqlite3.Connection, exchange: str, routing_key: str) -> list[Destination]:
    """Every queue a message published now lands in, following TTL queues' dead-lettering."""
    return _route(db, exchange, routing_key, hops=0)


def _matching_queues(db: sqlite3.Connection, exchange: str, routing_key: str) -> list[str]:
    if not exchange:
        return [routing_key]
    kind = exchange_type(db, exchange)
    if kind is None:
        # RabbitMQ closes the channel with 404 here; we raise the same error so a typo in an
        # exchange name fails loudly instead of dropping messages.
        raise BrokerNotFound(
            f"NOT_FOUND - no exchange {exchange!r} in the embedded broker; declare it before "
            "publishing (kombu Producer(..., auto_declare=True) or Exchange(...).declare())",
            _BASIC_PUBLISH,
        )
    table = [binding_entry(kind, exchange, key, queue) for queue, _, key in bindings(db, exchange)]
    matched = _MATCHERS[kind].lookup(table, exchange, routing_key, None)
    return sorted(matched)


def _route(
    db: sqlite3.Connection, exchange: str, routing_key: str, *, hops: int
) -> list[Destination]:
    destinations: list[Destination] = []
    for queue in _matching_queues(db, exchange, routing_key):
        arguments = queue_arguments(db, queue)
        if arguments is None:
            continue  # unroutable, dropped as RabbitMQ would; the caller logs it
        ttl = arguments.get("x-message-ttl")
        dead_letter_exchange = arguments.get("x-dead-letter-exchange")
        if ttl is None or dead_letter_exchange is None or hops >= _MAX_DEAD_LETTER_HOPS:
            destinations.append(Destination(queue, exchange, routing_key))
            continue
        # A TTL queue nobody consumes is a delay line: store the message straight in the queue
        # it will be dead-lettered to, visible once the TTL has passed.
        death = Death(queue, exchange, routing_key)
        target_key = str(arguments.get("x-dead-letter-routing-key", routing_key))
        destinations.extend(
            Destination(
                later.queue,
                later.exchange,
                later.routing_key,
                delay=later.delay + float(ttl) / 1000.0,
                delayed_in=queue,
                deaths=(death, *later.deaths),
            )
            for later in _route(db, str(dead_letter_exchange), target_key, hops=hops + 1)
        )
    return destinations
