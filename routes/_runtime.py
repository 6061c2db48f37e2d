"""Routes on the bus: each route is a consumer; what its steps send is published when the
incoming message is handled, in the same unit as the record that it was handled.

A step's failure follows the route's error policy: operation errors the policy (or the
operation) calls retryable, timeouts and lost connections are retried in the worker, then
through the broker's delay lines, then dead-lettered with the reason; bad data, a failing
expression or a refused request is dead-lettered at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from bus import (
    Aggregates,
    Bus,
    Delivery,
    Hop,
    OperationFailed,
    OperationNotFound,
    OperationTimeout,
    PermanentError,
    RetrySettings,
    TransientError,
)
from routes._aggregating import aggregate_owner
from routes._envelopes import RESUME_EXTENSION, outgoing, resume_point
from routes._message import Completed, Completion, Message
from routes._model import DelaySpec, Route
from routes._pipeline import CompiledRoute

if TYPE_CHECKING:
    from schemas import Envelope, SchemaRegistry

# Errors that retrying the same message can cure, whatever the route's policy says.
_ALWAYS_TRANSIENT = (TransientError, ConnectionError, TimeoutError, sa.exc.OperationalError)


def consumer_name(route: str) -> str:
    return f"route.{route}"


class BusRuntime:
    """The `Runtime` of one incoming message on the bus. Sends and parks join the delivery
    (published once it is handled); aggregate parts join its transaction."""

    def __init__(self, bus: Bus, route: str, unit: Unit) -> None:
        self.bus = bus
        self.route = route
        self._unit = unit
        self._after: list[Callable[[], None]] = []

    def send(self, message: Message, channel: str, *, step: str) -> None:
        self._unit.send(outgoing(self.route, message, f"{step}>{channel}"), channel=channel)

    def call(self, operation: str, data: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        reply = self.bus.call(operation, data, timeout=timeout)
        return reply.model_dump(mode="json")

    def validate(self, type: str, data: dict[str, Any], version: int | None) -> dict[str, Any]:
        envelope = self.bus.registry.build(
            type, data, source=f"civicbus://route/{self.route}", version=version
        )
        return dict(envelope.data)

    def aggregate(
        self, step: str, key: str, message: Message, completion: Completion
    ) -> Completed | None:
        owner = aggregate_owner(self.route, step)
        part = f"{message.origin.id}/{message.path}"
        group = Aggregates.add_part(self._unit.connection, owner, key, part, message.data)
        if not completion.complete(group.parts):
            return None
        Aggregates.close_group(self._unit.connection, owner, key)
        return Completed(group.opened_by, group.parts)

    def park(self, message: Message, *, resume_at: int, seconds: float) -> None:
        marker = f"{self.route}:{resume_at}"
        envelope = outgoing(self.route, message, f"park>{resume_at}", **{RESUME_EXTENSION: marker})
        self._unit.send(envelope, delay=seconds)

    def after(self, callback: Callable[[], None]) -> None:
        self._after.append(callback)

    def hop(self, message: Message, step: str, *, duration_ms: float, outputs: int) -> None:
        if self.bus.journal is not None:
            self.bus.journal.hop(
                message.origin.id,
                Hop.ROUTED,
                consumer=consumer_name(self.route),
                duration_ms=duration_ms,
                detail={"route": self.route, "step": step, "outputs": outputs},
            )

    def finish(self) -> None:
        for callback in self._after:
            callback()


class Unit:
    """Where a message's effects go: its delivery (handled by a consumer) or, for an aggregate
    completed by its timeout, a transaction and a list of envelopes published before it commits."""

    def __init__(
        self,
        connection: sa.Connection,
        registry: SchemaRegistry,
        delivery: Delivery | None = None,
    ) -> None:
        self.connection = connection
        self.registry = registry
        self.delivery = delivery
        self.pending: list[tuple[Envelope, str | None, float | None]] = []

    def send(
        self, envelope: Envelope, *, channel: str | None = None, delay: float | None = None
    ) -> None:
        if self.delivery is not None:
            self.delivery.send(envelope, channel=channel, delay=delay)  # validates it
        else:
            self.registry.validate(envelope)
            self.pending.append((envelope, channel, delay))


class RouteConsumer:
    """One route subscribed on the bus."""

    def __init__(self, bus: Bus, route: Route) -> None:
        self.bus = bus
        self.route = route
        self.compiled = CompiledRoute(route)
        self.delays = sorted(
            {step.spec.seconds for step in route.steps if isinstance(step.spec, DelaySpec)}
        )

    def subscribe(self, patterns: list[str]) -> None:
        policy = self.route.errors
        retry = self.bus.settings.retry
        retry = RetrySettings(
            **{
                **retry.model_dump(),
                **({"in_process_attempts": policy.max_attempts} if policy.max_attempts else {}),
                **({"redelivery_delays": policy.backoff} if policy.backoff is not None else {}),
            }
        )
        self.bus.subscribe(
            consumer_name(self.route.name),
            patterns,
            self.handle,
            is_transient=self.is_transient,
            retry=retry,
            dead_letters=policy.dead_letter,
            delays=self.delays,
        )

    def handle(self, delivery: Delivery) -> None:
        unit = Unit(delivery.transaction, self.bus.registry, delivery)
        runtime = BusRuntime(self.bus, self.route.name, unit)
        start = resume_point(self.route.name, delivery.envelope)
        try:
            self.compiled.run(Message.entering(delivery.envelope), runtime, start=start)
        finally:
            runtime.finish()

    def is_transient(self, error: BaseException) -> bool:
        return is_transient(self.route, error)


def is_transient(route: Route, error: BaseException) -> bool:
    """Whether retrying the message may cure `error`, by the route's error policy."""
    if isinstance(error, PermanentError):
        return False
    if isinstance(error, OperationFailed):
        codes = route.errors.retry_on
        return error.error.code in codes if codes is not None else error.error.retryable
    # An operation not on offer yet (its adapter is starting) or a reply late: try again.
    return isinstance(error, (OperationTimeout, OperationNotFound, *_ALWAYS_TRANSIENT))
