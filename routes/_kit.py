"""What every route test kit offers, in memory or on a bus."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from bus import RetrySettings
from routes._model import Route
from routes._standin import StandIn
from schemas import Envelope, SchemaRegistry

# Retries as on a bus, but quick: a test that dead-letters should not wait a minute.
KIT_RETRY = RetrySettings(
    in_process_attempts=3, in_process_wait_initial=0.01, redelivery_delays=[0.2]
)


def handler_runs(route: Route) -> int:
    """How many times a message that keeps failing transiently is handled before it is
    dead-lettered: attempts in the worker, on each delivery."""
    policy = route.errors
    attempts = policy.max_attempts or KIT_RETRY.in_process_attempts
    delays = policy.backoff if policy.backoff is not None else KIT_RETRY.redelivery_delays
    return attempts * (1 + len(delays))


@dataclass(frozen=True)
class DeadLetter:
    """A message a route gave up on, with the reason."""

    route: str
    envelope: Envelope
    reason: str


class RouteKit(ABC):
    """Routes under test with stand-in operations. `send` puts a message on the bus (or its
    in-memory twin); `received(channel, n)` is what the routes published on a channel."""

    def __init__(
        self, routes: list[Route], registry: SchemaRegistry, operations: list[StandIn]
    ) -> None:
        self.routes = routes
        self.registry = registry
        self.operations = {standin.name: standin for standin in operations}
        for standin in operations:
            for suffix, model in (("request", standin.request), ("response", standin.response)):
                type_name = f"{standin.name}.{suffix}"
                if not registry.versions(type_name):
                    registry.register(model, type=type_name, version=1)

    def calls(self, operation: str) -> list[dict[str, Any]]:
        return self.operations[operation].calls

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def send(
        self, type: str, data: dict[str, Any], *, channel: str | None = None, **attrs: Any
    ) -> Envelope:
        """Publish a message of `type` (on `channel`, default its type); `attrs` are envelope
        attributes such as subject or correlationid."""

    @abstractmethod
    def received(self, channel: str, count: int, *, timeout: float = 20.0) -> list[Envelope]:
        """The first `count` messages published on `channel` (waiting for them on a bus)."""

    @abstractmethod
    def dead_letters(self, count: int, *, timeout: float = 20.0) -> list[DeadLetter]:
        """The first `count` messages routes gave up on (waiting for them on a bus)."""

    @abstractmethod
    def close(self) -> None: ...
