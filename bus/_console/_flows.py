"""What the flows page shows: per consumer, what the journal saw over the last minutes
(handled, retried, dead-lettered, duplicates, mean time) and its queues' depths now.

Counts come from the journal's hops, so they cover every process that writes to the same
journal, not only this one; depths come from the broker.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from kombu import Connection

from bus._journal._tables import hops

if TYPE_CHECKING:
    from bus._runtime import Bus

_PROBLEM_HOPS = ("retried", "dead_lettered", "rejected")


@dataclass
class Flow:
    """One consumer (a route is `route.<name>`, an adapter's operations `adapter:<name>`)."""

    consumer: str
    minutes: int
    counts: dict[str, int] = field(default_factory=dict)
    mean_ms: float | None = None
    last_at: datetime | None = None
    queue: str | None = None
    depth: int | None = None
    consumers: int | None = None  # attached to the work queue now, in any process
    dead_letter_queue: str | None = None
    dead_letters: int | None = None

    @property
    def handled(self) -> int:
        return self.counts.get("handled", 0) + self.counts.get("routed", 0)

    @property
    def errors(self) -> int:
        return sum(self.counts.get(hop, 0) for hop in _PROBLEM_HOPS)

    @property
    def per_minute(self) -> float:
        return self.handled / self.minutes

    @property
    def state(self) -> str:
        """ok, warn (retries, or letters waiting), bad (dead-lettered in the window)."""
        if self.counts.get("dead_lettered", 0) or self.counts.get("rejected", 0):
            return "bad"
        if self.errors or self.dead_letters:
            return "warn"
        return "ok"


def flows(bus: Bus, engine: sa.Engine | None, *, minutes: int) -> list[Flow]:
    """Every consumer of this process, and every one the journal saw in the window."""
    found: dict[str, Flow] = {}
    for consumer in list(bus.consumers):
        found[consumer.name] = Flow(
            consumer.name,
            minutes,
            queue=consumer.queues.work.name,
            dead_letter_queue=consumer.queues.dead_letters.name,
        )
    if engine is not None:
        _count_hops(engine, found, minutes)
    for flow in found.values():
        if flow.queue is None:
            flow.queue = bus.topology.queue_name(flow.consumer)
            flow.dead_letter_queue = bus.topology.dead_letter_queue_name(flow.consumer)
    _read_depths(bus.settings.broker, list(found.values()))
    return sorted(found.values(), key=lambda flow: flow.consumer)


def _count_hops(engine: sa.Engine, found: dict[str, Flow], minutes: int) -> None:
    since = datetime.now(UTC) - timedelta(minutes=minutes)
    query = (
        sa.select(
            hops.c.consumer,
            hops.c.hop,
            sa.func.count(),
            sa.func.avg(hops.c.duration_ms),
            sa.func.max(hops.c.at),
        )
        .where(hops.c.at >= since, hops.c.consumer.is_not(None))
        .group_by(hops.c.consumer, hops.c.hop)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    for consumer, hop, count, mean_ms, last_at in rows:
        flow = found.setdefault(consumer, Flow(consumer, minutes))
        flow.counts[hop] = int(count)
        if hop in {"handled", "routed"} and mean_ms is not None:
            flow.mean_ms = float(mean_ms)
        last = _aware(last_at)
        if last is not None and (flow.last_at is None or last > flow.last_at):
            flow.last_at = last


def _aware(value: datetime | str | None) -> datetime | None:
    # max() over a column loses its type on SQLite, which then answers with the stored text.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _read_depths(url: str, found: list[Flow]) -> None:
    """Depths by passive declare on one connection; a queue not (yet) declared stays None.
    Only AMQP brokers count consumers (kombu's virtual transports always answer 0)."""
    counts_consumers = url.startswith(("amqp", "pyamqp"))
    try:
        with Connection(url, connect_timeout=2) as connection:
            for flow in found:
                flow.depth, consumers = _depth(connection, flow.queue)
                flow.consumers = consumers if counts_consumers else None
                flow.dead_letters, _none = _depth(connection, flow.dead_letter_queue)
    except OSError:
        return  # the broker is away: the page says "—" and /readyz says why


def _depth(connection: Connection, queue: str | None) -> tuple[int | None, int | None]:
    """(messages, consumers) of `queue`; (None, None) when it is not declared."""
    if queue is None:
        return None, None
    channel = connection.channel()
    try:
        _name, count, consumers = channel.queue_declare(queue, passive=True)
    except Exception:  # not declared: the broker closes the channel
        return None, None
    finally:
        with contextlib.suppress(Exception):  # already closed by the broker's refusal
            channel.close()
    return int(count), int(consumers)
