"""The route test kit in memory: no broker, the same steps, the same aggregator store (SQLite
in memory), the same retry decisions; delays and aggregate timeouts are skipped, not waited."""

from __future__ import annotations

from collections import deque
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from bus import Aggregates, OperationFailed, OperationNotFound
from routes._aggregating import complete_by_timeout, expired
from routes._cycles import topic_matches
from routes._envelopes import resume_point
from routes._kit import DeadLetter, RouteKit, handler_runs
from routes._message import Message
from routes._model import Route
from routes._pipeline import CompiledRoute
from routes._runtime import Unit, UnitRuntime, is_transient
from routes._standin import StandIn
from schemas import Envelope, InvalidMessage, OperationError, SchemaRegistry

_TEST_SOURCE = "civicbus://route-test-kit"


class MemoryKit(RouteKit):
    def __init__(
        self, routes: list[Route], registry: SchemaRegistry, operations: list[StandIn]
    ) -> None:
        super().__init__(routes, registry, operations)
        self.compiled = {route.name: CompiledRoute(route) for route in routes}
        self.published: dict[str, list[Envelope]] = {}
        self.delayed: list[tuple[str, float, Envelope]] = []
        self.hops: list[tuple[str, str, str]] = []  # (message id, route, step)
        self._dead: list[DeadLetter] = []
        self._queue: deque[tuple[str, Envelope]] = deque()
        self._handled: set[tuple[str, str]] = set()
        self._engine = sa.create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )

    def start(self) -> None:
        Aggregates.create_tables(self._engine)

    def send(
        self, type: str, data: dict[str, Any], *, channel: str | None = None, **attrs: Any
    ) -> Envelope:
        envelope = self.registry.build(type, data, source=_TEST_SOURCE, **attrs)
        self._publish(envelope, channel or envelope.type)
        self._drain()
        return envelope

    def received(self, channel: str, count: int, *, timeout: float = 20.0) -> list[Envelope]:
        if len(self.published.get(channel, [])) < count:
            self.sweep()  # in memory, time is skipped: timed-out aggregates complete now
        found = self.published.get(channel, [])
        if len(found) < count:
            raise AssertionError(
                f"{channel} received {len(found)} messages, expected {count}: "
                f"{[e.data for e in found]}; dead letters: {[d.reason for d in self._dead]}"
            )
        return found[:count]

    def dead_letters(self, count: int, *, timeout: float = 20.0) -> list[DeadLetter]:
        if len(self._dead) < count:
            raise AssertionError(f"{len(self._dead)} dead letters, expected {count}")
        return self._dead[:count]

    def sweep(self) -> int:
        """Complete every aggregate that has a timeout, as if it had passed."""
        completed = 0
        for name, compiled in self.compiled.items():
            for step in compiled.aggregators():
                if step.timeout is None:
                    continue
                with self._engine.begin() as connection:
                    keys = expired(connection, name, step, fast_forward=True)
                for key in keys:
                    with self._engine.begin() as connection:
                        runtime = _MemoryRuntime(self, name, connection)
                        parts = complete_by_timeout(connection, compiled, step, key, runtime)
                        completed += parts is not None
                        self._release(runtime)
        self._drain()
        return completed

    def close(self) -> None:
        self._engine.dispose()

    # -- the in-memory bus ------------------------------------------------------------------

    def _publish(self, envelope: Envelope, channel: str) -> None:
        self.published.setdefault(channel, []).append(envelope)
        for route in self.routes:
            origin = route.from_
            if origin.channel is not None and topic_matches(origin.channel, channel):
                self._queue.append((route.name, envelope))

    def _drain(self) -> None:
        while self._queue:
            name, envelope = self._queue.popleft()
            if (name, envelope.id) not in self._handled:
                self._handle(name, envelope)

    def _handle(self, name: str, envelope: Envelope) -> None:
        route = self.compiled[name].route
        attempts = handler_runs(route)
        for attempt in range(1, attempts + 1):
            try:
                with self._engine.begin() as connection:
                    runtime = _MemoryRuntime(self, name, connection)
                    try:
                        self.compiled[name].run(
                            Message.entering(envelope),
                            runtime,
                            start=resume_point(name, envelope),
                        )
                    finally:
                        runtime.finish()
            except Exception as error:
                if is_transient(route, error) and attempt < attempts:
                    continue
                reason = "retries_exhausted" if is_transient(route, error) else "handler_failed"
                self._dead.append(DeadLetter(name, envelope, f"{reason}: {error}"))
                return
            self._handled.add((name, envelope.id))
            self._release(runtime)
            return

    def _release(self, runtime: _MemoryRuntime) -> None:
        for envelope, channel, delay in runtime.pending:
            if delay is not None:
                self.delayed.append((runtime.route, delay, envelope))
                self._queue.append((runtime.route, envelope))
            else:
                self._publish(envelope, channel or envelope.type)


class _MemoryRuntime(UnitRuntime):
    """Sends and parks collect in a Unit without a delivery; the kit releases them after."""

    def __init__(self, kit: MemoryKit, route: str, connection: sa.Connection) -> None:
        self.unit = Unit(connection, kit.registry)
        super().__init__(route, self.unit, kit.registry)
        self.kit = kit

    @property
    def pending(self) -> list[tuple[Envelope, str | None, float | None]]:
        return self.unit.pending

    def call(self, operation: str, data: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        standin = self.kit.operations.get(operation)
        if standin is None:
            raise OperationNotFound(f"no stand-in for {operation}; pass StandIn({operation!r})")
        request = self.kit.registry.build(f"{operation}.request", data, source=_TEST_SOURCE)
        try:
            reply = standin.answer(dict(request.data))
        except Exception as fault:
            raise OperationFailed(_operation_error(standin, fault)) from fault
        response = self.kit.registry.build(f"{operation}.response", reply, source=_TEST_SOURCE)
        return dict(response.data)

    def hop(self, message: Message, step: str, *, duration_ms: float, outputs: int) -> None:
        self.kit.hops.append((message.origin.id, self.route, step))


def _operation_error(standin: StandIn, fault: Exception) -> OperationError:
    if isinstance(fault, InvalidMessage):
        code, retryable = "invalid_request", False
    else:
        code = str(getattr(fault, "code", "internal_error"))
        retryable = bool(getattr(fault, "retryable", False))
    return OperationError(
        code=code,
        message=str(fault),
        retryable=retryable,
        adapter=standin.adapter,
        operation=standin.operation,
        fault_code=getattr(fault, "fault_code", None),
    )
