"""The request and response JSON Schemas of a catalog entry: from the schema registry when
the adapter runs in this process, else as the shared catalog stored them."""

from __future__ import annotations

from typing import Any

from bus._catalog import OperationEntry
from bus._runtime import Bus


def operation_schemas(bus: Bus, entry: OperationEntry) -> tuple[dict[str, Any], dict[str, Any]]:
    def schema(type: str, stored: dict[str, Any] | None) -> dict[str, Any]:
        if type in bus.registry:
            return bus.registry.get(type).json_schema()
        return stored if stored is not None else {}

    return (
        schema(entry.request_type, entry.request_schema),
        schema(entry.response_type, entry.response_schema),
    )
