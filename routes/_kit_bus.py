"""The route test kit on a real bus: the routes run as consumers, stand-ins are served as
operations, and what the routes publish on each channel is captured by a consumer of its own.
Everything is named after a fresh tag and removed on close."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kombu import Connection, Queue
from pydantic import BaseModel

from bus import Bus, Delivery, OperationEntry, ServedOperation, Settings
from bus._wire import HEADER_ERROR, HEADER_REASON  # the dead-letter headers the bus writes
from routes._host import RouteHost
from routes._kit import KIT_RETRY, DeadLetter, RouteKit
from routes._model import Route
from routes._runtime import consumer_name
from routes._standin import StandIn
from schemas import Envelope, SchemaRegistry


class BusKit(RouteKit):
    def __init__(
        self,
        routes: list[Route],
        registry: SchemaRegistry,
        operations: list[StandIn],
        *,
        url: str,
        folder: Path,
        watch: list[str] = (),  # type: ignore[assignment]
    ) -> None:
        super().__init__(routes, registry, operations)
        tag = uuid.uuid4().hex[:8]
        self.bus = Bus(
            Settings(
                data_dir=folder,
                broker_url=url,
                exchange=f"kit.{tag}",
                queue_prefix=f"kit.{tag}",
                retry=KIT_RETRY,
            ),
            registry=registry,
        )
        self.host = RouteHost(self.bus, routes)
        self._captured: dict[str, list[Envelope]] = {}
        self._lock = threading.Lock()
        self._channels = sorted({*_targets(routes), *watch})

    def start(self) -> None:
        by_adapter: dict[str, list[ServedOperation]] = {}
        for standin in self.operations.values():
            entry = OperationEntry(standin.adapter, standin.operation, standin.description, True)
            by_adapter.setdefault(standin.adapter, []).append(
                ServedOperation(entry, _handler(standin))
            )
        for adapter, served in by_adapter.items():
            self.bus.serve(adapter, served)
        for index, channel in enumerate(self._channels):
            self.bus.subscribe(f"capture.{index}", [channel], self._keeper(channel))
        self.host.start()
        self.bus.start()
        if not self.bus.wait_ready(30):
            raise RuntimeError("the test bus did not become ready in 30 s; is the broker up?")

    def send(
        self, type: str, data: dict[str, Any], *, channel: str | None = None, **attrs: Any
    ) -> Envelope:
        envelope = self.registry.build(type, data, source="civicbus://route-test-kit", **attrs)
        routes = {envelope.id: (self.bus.topology.exchange.name, channel)} if channel else None
        with self.bus.publisher() as publisher:
            publisher.publish_many([envelope], validated=True, routes=routes)
        return envelope

    def received(self, channel: str, count: int, *, timeout: float = 20.0) -> list[Envelope]:
        if channel not in self._channels:
            raise ValueError(f"{channel} is not captured; pass watch=[{channel!r}] to the kit")
        found = _wait(lambda: list(self._captured.get(channel, [])), count, timeout)
        if len(found) < count:
            raise AssertionError(
                f"{channel} received {len(found)} messages in {timeout}s, expected {count}: "
                f"{[e.data for e in found]}"
            )
        return found[:count]

    def dead_letters(self, count: int, *, timeout: float = 20.0) -> list[DeadLetter]:
        letters: list[DeadLetter] = []

        def take() -> list[DeadLetter]:
            letters.extend(self._drain_dead_letters())
            return letters

        found = _wait(take, count, timeout)
        if len(found) < count:
            raise AssertionError(f"{len(found)} dead letters in {timeout}s, expected {count}")
        return found[:count]

    def sweep(self) -> int:
        return self.host.sweep()

    def close(self) -> None:
        self.bus.close()
        with Connection(self.bus.settings.broker) as connection:
            channel = connection.channel()
            for consumer in self.bus.consumers:
                for queue in consumer.queues.all():
                    queue(channel).delete()
            for server in self.bus.servers:
                self.bus.topology.operation_queue(server.adapter)(channel).delete()
            self.bus.topology.exchange(channel).delete()
            self.bus.topology.operations(channel).delete()

    def _keeper(self, channel: str) -> Callable[[Delivery], None]:
        def keep(delivery: Delivery) -> None:
            with self._lock:
                self._captured.setdefault(channel, []).append(delivery.envelope)

        return keep

    def _drain_dead_letters(self) -> list[DeadLetter]:
        letters = []
        with Connection(self.bus.settings.broker) as connection:
            channel = connection.channel()
            for route in self.routes:
                # A route's own dead-letter queue, or the shared one its error policy names.
                name = route.errors.dead_letter or consumer_name(route.name)
                queue = Queue(self.bus.topology.dead_letter_queue_name(name))(channel)
                while (message := queue.get(no_ack=True)) is not None:
                    headers = message.headers or {}
                    reason = f"{headers.get(HEADER_REASON)}: {headers.get(HEADER_ERROR)}"
                    envelope = Envelope.from_json(message.body)
                    letters.append(DeadLetter(route.name, envelope, reason))
        return letters


def _handler(standin: StandIn) -> Callable[[BaseModel, Envelope], BaseModel]:
    def handle(request: BaseModel, _envelope: Envelope) -> BaseModel:
        return standin.response.model_validate(standin.answer(request.model_dump(mode="json")))

    return handle


def _targets(routes: list[Route]) -> set[str]:
    """Every channel the routes send to by name (recipient expressions are not known)."""
    found: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, BaseModel):
            channel = getattr(value, "channel", None)
            if isinstance(channel, str) and type(value).__name__ in ("Target", "WiretapSpec"):
                found.add(channel)
            for field in type(value).model_fields:
                visit(getattr(value, field))
        elif isinstance(value, list):
            for item in value:
                visit(item)

    for route in routes:
        visit(route.steps)
    return found


def _wait(take: Callable[[], list[Any]], count: int, timeout: float) -> list[Any]:
    deadline = time.monotonic() + timeout
    found = take()
    while len(found) < count and time.monotonic() < deadline:
        time.sleep(0.05)
        found = take()
    return found
