"""Rows -> payloads: legacy values coerced field by field (CHAR padding, text dates, DECIMAL,
NULL-ish sentinels, legacy encodings), or a mapping function named 'module:function'."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, create_model

from adapters._errors import AdapterConfigError
from adapters.sql._config import Coercion, FieldMapping, SourceConfig

_PYTHON_TYPES: dict[str, type] = {
    "str": str,
    "int": int,
    "decimal": Decimal,
    "float": float,
    "bool": bool,
    "date": date,
    "datetime": datetime,
}

_TRUE = {"1", "y", "yes", "j", "ja", "t", "true", "x"}
_FALSE = {"0", "n", "no", "nein", "f", "false", ""}

RowMapper = Callable[[Mapping[str, Any]], dict[str, Any]]


class UnreadableValue(ValueError):
    """A legacy value that no configured coercion turns into its field's type."""


def python_type(coercion: Coercion) -> type:
    return _PYTHON_TYPES[coercion]


def coerce(value: Any, mapping: FieldMapping) -> Any:
    """`value` from column `mapping.column` as the payload field's Python value (or None)."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode(mapping.encoding or "utf-8")
    if isinstance(value, str):
        text = value.strip() if mapping.strip else value
        if text.strip() in mapping.null_values:
            return None
        return _from_text(text, mapping)
    return _from_native(value, mapping)


def _from_text(text: str, mapping: FieldMapping) -> Any:
    kind = mapping.type
    try:
        if kind == "str":
            return text
        if kind == "int":
            return int(text)
        if kind == "decimal":
            return Decimal(text.replace(",", ".") if text.count(",") == 1 else text)
        if kind == "float":
            return float(text.replace(",", "."))
        if kind == "bool":
            return _bool(text)
    except (ValueError, InvalidOperation) as exc:
        raise UnreadableValue(
            f"column {mapping.column!r} holds {text!r}, which is not a {kind}"
        ) from exc
    for pattern in mapping.formats:
        try:
            parsed = datetime.strptime(text, pattern)  # legacy text dates carry no zone
        except ValueError:
            continue
        return parsed.date() if kind == "date" else parsed
    raise UnreadableValue(
        f"column {mapping.column!r} holds {text!r}, which matches none of the formats "
        f"{mapping.formats}; add its format to `formats` or its value to `null_values`"
    )


def _from_native(value: Any, mapping: FieldMapping) -> Any:
    kind = mapping.type
    if kind == "str":
        return str(value)
    if kind == "decimal":
        return Decimal(str(value))
    if kind == "date" and isinstance(value, datetime):
        return value.date()
    if kind == "bool":
        return bool(value)
    return value  # int, float, date and datetime pass as the driver gave them


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(text)


# One model class per distinct mapping: a schema registry knows payloads by class, so an
# adapter restarted in the same process must hand out the class it registered before.
_MODELS: dict[str, type[BaseModel]] = {}


def payload_model(source: SourceConfig) -> type[BaseModel]:
    """The event payload model of a declaratively mapped source: every field optional, since
    legacy columns are NULL or sentinel-filled more often than their schema admits."""
    identity = json.dumps([source.name, [m.model_dump() for m in source.fields]], sort_keys=True)
    if identity not in _MODELS:
        _MODELS[identity] = _build_model(source)
    return _MODELS[identity]


def _build_model(source: SourceConfig) -> type[BaseModel]:
    fields: dict[str, Any] = {
        mapping.target: (python_type(mapping.type) | None, None) for mapping in source.fields
    }
    name = "".join(part.title() for part in source.name.split("-")) + "Row"
    model: type[BaseModel] = create_model(name, **fields)
    return model


def row_mapper(source: SourceConfig) -> RowMapper:
    """The function turning one row (column -> raw value) into the payload's data."""
    if source.mapping:
        return load_function(source.mapping, where=f"source {source.name!r}")
    mappings = list(source.fields)

    def declarative(row: Mapping[str, Any]) -> dict[str, Any]:
        return {m.target: coerce(row[m.column], m) for m in mappings}

    return declarative


def load_function(spec: str, *, where: str) -> RowMapper:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise AdapterConfigError(
            f"{where}: mapping {spec!r} must be 'module:function', e.g. 'mymaps:benefit_case'"
        )
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise AdapterConfigError(
            f"{where}: cannot load mapping {spec!r} ({exc}); check the module is importable"
        ) from exc
    if not callable(found):
        raise AdapterConfigError(f"{where}: mapping {spec!r} is not a function")
    function: RowMapper = found
    return function
