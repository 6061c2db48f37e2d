"""Expressions in routes: CEL (https://cel.dev), the language of Kubernetes admission rules and
Envoy, compiled once when the route loads and evaluated per message.

An expression sees the message as `data`, `type`, `subject`, `id`, `correlationid`, `source`
and `time`; an aggregator's completion also sees `parts` and `count`.
"""

from __future__ import annotations

from typing import Any

import cel


class ExpressionError(ValueError):
    """An expression that does not parse, or that failed on one message."""


class Expression:
    """One compiled CEL expression."""

    def __init__(self, source: str) -> None:
        self.source = source
        try:
            self._program = cel.compile(source)
        except ValueError as error:
            raise ExpressionError(f"not a valid CEL expression: {error}") from None

    @property
    def variables(self) -> list[str]:
        return list(self._program.references()["variables"])

    def __call__(self, context: dict[str, Any]) -> Any:
        try:
            return self._program.execute(context)
        except KeyError as error:
            raise ExpressionError(
                f"{self.source!r}: the message has no field {error}; guard it with has(...)"
            ) from None
        except Exception as error:
            raise ExpressionError(f"{self.source!r} failed: {error}") from None

    def test(self, context: dict[str, Any]) -> bool:
        """Evaluate a condition; anything but a boolean is an error, not a silent false."""
        value = self(context)
        if not isinstance(value, bool):
            raise ExpressionError(
                f"{self.source!r} gave {value!r}, not true or false; compare it explicitly"
            )
        return value
