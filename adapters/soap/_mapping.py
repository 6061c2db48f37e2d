"""Mapping between an operation's WSDL-shaped data and a canonical schema.

Declarative: a table of dotted paths (`canonical.path: wsdl.path`), read both ways. Or a
`module:function` mapper `(direction, data) -> data` for what a table cannot say.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel

from adapters import AdapterConfigError
from adapters.soap._config import CanonicalMapping
from schemas import UnknownSchema, default_registry

Direction = Literal["request", "response"]
Mapper = Callable[[Direction, dict[str, Any]], dict[str, Any]]

_MISSING = object()


def get_path(data: Any, path: str) -> Any:
    """The value at a dotted path, or a sentinel when any step is absent."""
    current = data
    for step in path.split("."):
        if not isinstance(current, dict) or step not in current:
            return _MISSING
        current = current[step]
    return current


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    current = data
    for step in parents:
        current = current.setdefault(step, {})
    current[leaf] = value


def remap(data: dict[str, Any], pairs: dict[str, str]) -> dict[str, Any]:
    """`pairs` is target path -> source path; absent sources leave the target out."""
    result: dict[str, Any] = {}
    for target, source in pairs.items():
        value = get_path(data, source)
        if value is not _MISSING:
            set_path(result, target, value)
    return result


class CanonicalMapper:
    """Turns canonical requests into WSDL requests, and WSDL replies into canonical ones."""

    def __init__(self, operation: str, mapping: CanonicalMapping) -> None:
        self.operation = operation
        self._mapping = mapping
        self._function = _load_mapper(operation, mapping.mapper) if mapping.mapper else None

    def request(self, canonical: dict[str, Any]) -> dict[str, Any]:
        if self._function is not None:
            return self._function("request", canonical)
        # request_fields is canonical -> wsdl; remap wants target -> source.
        return remap(canonical, {w: c for c, w in self._mapping.request_fields.items()})

    def response(self, wsdl: dict[str, Any]) -> dict[str, Any]:
        if self._function is not None:
            return self._function("response", wsdl)
        return remap(wsdl, self._mapping.response_fields)


def _load_mapper(operation: str, spec: str) -> Mapper:
    module_name, _, attribute = spec.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise AdapterConfigError(
            f"operations.{operation}.canonical.mapper: cannot import {spec!r} ({exc}); give "
            "'module:function' of an importable function (direction, data) -> data"
        ) from exc
    if not callable(function):
        raise AdapterConfigError(
            f"operations.{operation}.canonical.mapper: {spec!r} is not callable; point it at "
            "a function (direction, data) -> data"
        )
    mapper: Mapper = function
    return mapper


def canonical_model(type_name: str, where: str) -> type[BaseModel]:
    """The latest registered canonical model called `type_name`."""
    try:
        model: type[BaseModel] = default_registry().get(type_name).model
    except UnknownSchema as exc:
        raise AdapterConfigError(
            f"{where}: no canonical schema {type_name!r} ({exc}); register it in `schemas` "
            "or leave it out to use the WSDL-derived model"
        ) from exc
    return model
