"""A deployment's own canonical schemas: the `schemas:` setting names functions that register
models on the registry, so every civicbus process — worker, gateway, console, CLI — knows the
same types without code of its own."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from bus._settings import ConfigError
from schemas import SchemaRegistry


def register_configured(registry: SchemaRegistry, entries: Iterable[str]) -> None:
    """Call each `package.module:function` with `registry`. Raises ConfigError naming the entry
    when it cannot be imported, is not callable, or its registration is refused."""
    for entry in entries:
        module_name, _, attribute = entry.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(
                f"schemas: cannot import {module_name!r} ({exc}); the module must be importable "
                "from the working directory or the installed packages"
            ) from None
        register = getattr(module, attribute, None)
        if not callable(register):
            raise ConfigError(
                f"schemas: {entry!r} is not a function; name one that takes the schema registry"
            )
        try:
            register(registry)
        except ValueError as exc:  # IncompatibleSchema is one too
            raise ConfigError(f"schemas: {entry} was refused: {exc}") from None
