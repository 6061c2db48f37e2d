"""Running adapters inside a bus: start them, guard their operations, offer those on the bus,
run their sources, and report health and circuit state."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import BaseModel

from adapters._base import Adapter, Health
from adapters._breaker import BreakerState
from adapters._emitter import BusEmitter
from adapters._guard import Guard
from adapters._operation import CallContext, Operation, Source
from adapters._registry import build_adapter
from bus import Bus, OperationEntry, ServedOperation, register_gauge
from schemas import Envelope

log = structlog.get_logger("civicbus.adapters")


@dataclass(frozen=True)
class AdapterStatus:
    """What operations teams see of one adapter instance."""

    name: str
    kind: str
    health: Health
    breaker: BreakerState
    last_error: str | None
    operations: list[str]


_CIRCUIT_VALUES = {"closed": 0.0, "half-open": 1.0, "open": 2.0}


class AdapterHost:
    """The adapters of one process, wired to one Bus."""

    def __init__(self, bus: Bus, adapters: list[Adapter[Any]]) -> None:
        self._bus = bus
        self.adapters = adapters
        self.guards: dict[str, Guard] = {}
        self._operations: dict[str, list[Operation]] = {}
        self._source_threads: list[threading.Thread] = []

    @classmethod
    def from_settings(cls, bus: Bus) -> AdapterHost:
        """The adapters declared under `adapters:` in the bus's settings."""
        built = [build_adapter(name, config) for name, config in bus.settings.adapters.items()]
        return cls(bus, built)

    def start(self, *, serve: bool = True) -> None:
        """Start every adapter and offer its operations; call before `Bus.start()`.

        `serve=False` only learns the operations (schemas and catalog entries), for a process
        that calls adapters served by another process — a gateway, or a worker's client.
        """
        self._register_metrics()
        for adapter in self.adapters:
            adapter.start()
            guard = Guard(adapter.name, adapter.config)
            self.guards[adapter.name] = guard
            operations = adapter.operations()
            self._operations[adapter.name] = operations
            served = [self._serve(adapter, guard, operation) for operation in operations]
            if not serve:
                for entry in served:
                    self._bus.catalog.add(entry.entry)
                continue
            if served:
                self._bus.serve(adapter.name, served, concurrency=adapter.config.concurrency)
            for source in adapter.sources():
                self._run_source(adapter, source)
            log.info(
                "adapter_started",
                adapter=adapter.name,
                kind=adapter.kind,
                operations=[o.name for o in operations],
            )

    def _register_metrics(self) -> None:
        register_gauge(
            "civicbus_circuit_state",
            "Circuit breaker of each adapter: 0 closed, 1 half open, 2 open.",
            ["adapter"],
            lambda: [
                ([name], _CIRCUIT_VALUES.get(guard.state, -1.0))
                for name, guard in list(self.guards.items())
            ],
        )

    def source_types(self) -> dict[str, str]:
        """`adapter.source` -> the type of the events it publishes, for every started adapter."""
        return {
            f"{adapter.name}.{source.name}": source.event_type
            for adapter in self.adapters
            for source in adapter.sources()
        }

    def stop(self) -> None:
        """Stop every adapter (the bus stops the operation servers and sources' stop event)."""
        self._bus.stop()
        for thread in self._source_threads:
            thread.join(30)
        for adapter in self.adapters:
            try:
                adapter.stop()
            except Exception as exc:
                log.warning("adapter_stop_failed", adapter=adapter.name, error=str(exc))

    def status(self) -> list[AdapterStatus]:
        statuses = []
        for adapter in self.adapters:
            guard = self.guards.get(adapter.name)
            try:
                health = adapter.health()
            except Exception as exc:
                health = Health(ok=False, detail=f"health check failed: {exc}")
            statuses.append(
                AdapterStatus(
                    name=adapter.name,
                    kind=adapter.kind,
                    health=health,
                    breaker=guard.state if guard else "closed",
                    last_error=guard.last_error if guard else None,
                    operations=[o.name for o in self._operations.get(adapter.name, [])],
                )
            )
        return statuses

    def _serve(self, adapter: Adapter[Any], guard: Guard, operation: Operation) -> ServedOperation:
        entry = OperationEntry(
            adapter=adapter.name,
            operation=operation.name,
            description=operation.description,
            idempotent=operation.idempotent,
        )
        registry = self._bus.registry
        registry.register(
            operation.request,
            type=entry.request_type,
            version=1,
            description=f"Request of {entry.name}. {operation.description}".strip(),
        )
        registry.register(
            operation.response,
            type=entry.response_type,
            version=1,
            description=f"Response of {entry.name}.",
        )

        def handle(request: BaseModel, envelope: Envelope) -> BaseModel:
            context = CallContext(request_id=envelope.id, correlation_id=envelope.correlationid)
            return guard.call(operation, request, context)

        return ServedOperation(entry=entry, handler=handle)

    def _run_source(self, adapter: Adapter[Any], source: Source) -> None:
        registry = self._bus.registry
        if source.event_type not in registry:
            registry.register(
                source.event,
                type=source.event_type,
                version=1,
                description=source.description or None,
            )
        emitter = BusEmitter(self._bus, adapter.name, source.name, source.event_type)

        def run() -> None:
            try:
                source.run(emitter, self._bus.stopping)
            except Exception as exc:
                log.error(
                    "source_failed",
                    adapter=adapter.name,
                    source=source.name,
                    error=str(exc),
                    error_type=type(exc).__name__,
                )
            finally:
                emitter.close()

        thread = threading.Thread(
            target=run, name=f"source-{adapter.name}-{source.name}", daemon=True
        )
        thread.start()
        self._source_threads.append(thread)
