"""W3C trace context (https://www.w3.org/TR/trace-context/) as carried in envelopes: a trace
starts where a message enters civicbus (the gateway, a source, a publish) and every message
made from it is a child span of the same trace."""

from __future__ import annotations

import re
import secrets

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


def new_traceparent(*, sampled: bool = True) -> str:
    """The start of a new trace."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-{'01' if sampled else '00'}"


def child_traceparent(parent: str | None) -> str:
    """A new span in the trace of `parent`; a new trace when `parent` is absent or invalid."""
    match = _TRACEPARENT.match(parent or "")
    if match is None or match.group(1) == _ZERO_TRACE or match.group(2) == _ZERO_SPAN:
        return new_traceparent()
    return f"00-{match.group(1)}-{secrets.token_hex(8)}-{match.group(3)}"


def trace_id(traceparent: str | None) -> str | None:
    match = _TRACEPARENT.match(traceparent or "")
    return match.group(1) if match else None
