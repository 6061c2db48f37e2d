"""Routes on the bus: each route is a consumer; what its steps send is published when the
incoming message is handled, in the same unit as the record that it was handled.

A step's failure follows the route's error policy: operation errors the policy (or the
operation) calls retryable, timeouts and lost connections are retried in the worker, then
through the broker's delay lines, then dead-lettered with the reason; bad data, a failing
expression or a refused request is dead-lettered at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from bus import (
    TRANSIENT_ERRORS,
    Aggregates,
    Bus,
    Delivery,
    Hop,
    OperationFailed,
    OperationNotFound,
    OperationTimeout,
    PermanentError,
    RetrySettings,
)
from routes._aggregating import aggregate_owner
from routes._envelopes import RESUME_EXTENSION, outgoing, resume_point
from routes._message import Completed, Completion, Message
from routes._model import DelaySpec, Route
from routes._pipeline import CompiledRoute

if TYPE_CHECKING:
    from schemas import Envelope, SchemaRegistry


def consumer_name(route: str) -> str:
    return f"route.{route}"


class UnitRuntime:
    """What every runtime does the same way, on the bus and in the route test kit: sends and
    parks go to a `Unit`, aggregate parts join its transaction, `after` callbacks run when the
    message is done. Subclasses say how to call an operation and how to record a hop."""

    def __init__(self, route: str, unit: Unit, registry: SchemaRegistry) -> None:
        self.route = route
        self._unit = unit
        self._registry = registry
        self._after: list[Callable[[], None]] = []

    def send(self, message: Message, channel: str, *, step: str) -> None:
        self._unit.send(outgoing(self.route, message, f"{step}>{channel}"), channel=channel)

    def validate(self, type: str, data: dict[str, Any], version: int | None) -> dict[str, Any]:
        return self._registry.validate_data(type, data, version).model_dump(mode="json")

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

    def finish(self) -> None:
        for callback in self._after:
            callback()
        self._after.clear()


class BusRuntime(UnitRuntime):
    """The `Runtime` of one incoming message on the bus. Sends and parks join the delivery
    (published once it is handled); aggregate parts join its transaction."""

    def __init__(self, bus: Bus, route: str, unit: Unit) -> None:
        super().__init__(route, unit, bus.registry)
        self.bus = bus
        self._steps: dict[str, StepTiming] = {}
        self._origin: str | None = None

    def call(self, operation: str, data: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        reply = self.bus.call(operation, data, timeout=timeout)
        return reply.model_dump(mode="json")

    def hop(self, message: Message, step: str, *, duration_ms: float, outputs: int) -> None:
        # Collected and journaled as one hop when the message is done: its steps in order,
        # with their timings, at the cost of one journal row instead of one per step.
        self._origin = self._origin or message.origin.id
        timing = self._steps.setdefault(step, StepTiming(step))
        timing.add(duration_ms, outputs)

    def finish(self) -> None:
        super().finish()
        if self.bus.journal is not None and self._origin is not None:
            self.bus.journal.hop(
                self._origin,
                Hop.ROUTED,
                consumer=consumer_name(self.route),
                duration_ms=round(sum(t.ms for t in self._steps.values()), 3),
                detail={"route": self.route, "steps": [t.as_dict() for t in self._steps.values()]},
            )
        self._steps.clear()


@dataclass
class StepTiming:
    """One step's share of handling a message: how often it ran (a split's items each pass
    the steps after it), for how long in all, and how many messages it let on."""

    step: str
    count: int = 0
    ms: float = 0.0
    outputs: int = 0

    def add(self, duration_ms: float, outputs: int) -> None:
        self.count += 1
        self.ms += duration_ms
        self.outputs += outputs

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "count": self.count,
            "ms": round(self.ms, 3),
            "outputs": self.outputs,
        }


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
    return isinstance(error, (OperationTimeout, OperationNotFound, *TRANSIENT_ERRORS))
