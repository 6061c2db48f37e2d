"""Declarative field mappings: each field of the data a step makes, from a path, a constant, a
CEL expression or a lookup table."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from routes._expr import Expression
from routes._model import Const, Expr, FieldMapping, Lookup
from routes._paths import Path

Getter = Callable[[dict[str, Any]], Any]


class MappingError(ValueError):
    """A mapping that cannot be built: an unknown lookup table, a function not found."""


def compile_mapping(
    fields: dict[str, FieldMapping], lookups: dict[str, dict[str, Any]]
) -> dict[str, Getter]:
    return {name: _getter(name, source, lookups) for name, source in fields.items()}


def apply_mapping(getters: dict[str, Getter], context: dict[str, Any]) -> dict[str, Any]:
    return {name: get(context) for name, get in getters.items()}


def _getter(name: str, source: FieldMapping, lookups: dict[str, dict[str, Any]]) -> Getter:
    if isinstance(source, str):
        return Path(source).get
    if isinstance(source, Const):
        value = source.const
        return lambda _context: value
    if isinstance(source, Expr):
        return Expression(source.expr)
    return _lookup(name, source, lookups)


def _lookup(name: str, source: Lookup, lookups: dict[str, dict[str, Any]]) -> Getter:
    table = lookups.get(source.lookup)
    if table is None:
        known = ", ".join(sorted(lookups)) or "none"
        raise MappingError(
            f"field {name!r} looks up in table {source.lookup!r}, which the route does not "
            f"define (its lookups: {known}); add it under `lookups:`"
        )
    key = Path(source.from_)
    default = source.default

    def look_up(context: dict[str, Any]) -> Any:
        found = key.get(context)
        return table.get(str(found), default) if found is not None else default

    return look_up


def import_function(reference: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """`package.module:function`, imported once when the route loads."""
    module_name, _, attribute = reference.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise MappingError(f"cannot import {module_name!r} for {reference!r}: {error}") from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise MappingError(f"{module_name!r} has no function {attribute!r}; check {reference!r}")
    return function  # type: ignore[no-any-return]
