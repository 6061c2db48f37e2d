"""What routes are checked against: the message types, the legacy operations and the adapter
sources that exist. A `World` needs no broker and no Bus; the command line fills one from the
configured adapters, a test from a registry and a few models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from schemas import SchemaRegistry, UnknownSchema, default_registry


@dataclass(frozen=True)
class OperationTypes:
    """An operation `adapter.operation` and the message types of its request and reply."""

    name: str
    request: str
    response: str


@dataclass
class World:
    """The schema registry, the operations (`adapter.operation`) and the sources
    (`adapter.source` -> the type of their events) that routes may name."""

    registry: SchemaRegistry = field(default_factory=default_registry)
    operations: dict[str, OperationTypes] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def add_operation(
        self, name: str, request: type[BaseModel], response: type[BaseModel]
    ) -> OperationTypes:
        """Offer `name` with these models, registered as `<name>.request` and `<name>.response`
        v1 as the adapter host does when it serves the operation."""
        types = OperationTypes(name, f"{name}.request", f"{name}.response")
        self._register(request, types.request)
        self._register(response, types.response)
        self.operations[name] = types
        return types

    def add_source(self, name: str, event: type[BaseModel], event_type: str) -> None:
        """Offer the source `name` (`adapter.source`) whose events are `event_type`."""
        self._register(event, event_type)
        self.sources[name] = event_type

    def has_schema(self, type: str, version: int | None = None) -> bool:
        try:
            self.registry.get(type, version)
        except UnknownSchema:
            return False
        return True

    def json_schema(self, type: str) -> dict[str, Any] | None:
        """The latest JSON Schema of `type`, None when it is not registered."""
        if not self.has_schema(type):
            return None
        return self.registry.get(type).json_schema()

    def _register(self, model: type[BaseModel], type: str) -> None:
        if type not in self.registry:
            self.registry.register(model, type=type, version=1)
