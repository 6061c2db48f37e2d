"""Paths into a message: `data.person.id`, `subject`, `data.lines[0].amount`.

Plain paths are what most field mappings are, so they are read directly rather than through
the expression language, and they can be checked against a schema before a route runs.
"""

from __future__ import annotations

import re
from typing import Any

_SEGMENT = re.compile(r"([A-Za-z_][\w-]*)((?:\[\d+\])*)")
_INDEX = re.compile(r"\[(\d+)\]")


class PathError(ValueError):
    """A path that is malformed, or that leads nowhere in one message."""


class Path:
    """A compiled path; `get(message_context)` reads it, `None` where it leads nowhere."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.keys: list[str | int] = []
        for part in source.split("."):
            match = _SEGMENT.fullmatch(part)
            if match is None:
                raise PathError(
                    f"{source!r} is not a path; write names joined by dots, with [n] for list "
                    "items (data.lines[0].amount), or use {expr: ...} for a computed value"
                )
            self.keys.append(match.group(1))
            self.keys.extend(int(n) for n in _INDEX.findall(match.group(2)))

    def get(self, context: dict[str, Any]) -> Any:
        value: Any = context
        for key in self.keys:
            if isinstance(key, int):
                if not isinstance(value, list) or key >= len(value):
                    return None
            elif not isinstance(value, dict):
                return None
            value = value[key] if isinstance(key, int) else value.get(key)
            if value is None:
                return None
        return value

    @property
    def root(self) -> str:
        return str(self.keys[0])

    @property
    def data_field(self) -> str | None:
        """The top-level data field read (`data.person.id` -> `person`), for schema checks."""
        if self.root == "data" and len(self.keys) > 1 and isinstance(self.keys[1], str):
            return self.keys[1]
        return None
