"""Keep a connected loop running: when the broker goes away, wait with backoff and reconnect."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import structlog

log = structlog.get_logger("civicbus.broker")

_FIRST_DELAY = 0.2
_MAX_DELAY = 5.0


def serve_until_stopped(
    serve: Callable[[], None],
    stop: threading.Event,
    ready: threading.Event,
    *,
    event: str,
    on_failure: Callable[[], None] | None = None,
    **fields: Any,
) -> None:
    """Run `serve` (which connects, sets `ready`, and works until `stop`) until `stop` is set.

    When it raises — a lost connection, or a bug in what it ran — log `event`, wait (0.2 s,
    doubling up to 5 s; back to 0.2 s once a connection had been made) and run it again.
    """
    delay = _FIRST_DELAY
    while not stop.is_set():
        try:
            serve()
        except Exception as exc:
            if ready.is_set():
                delay = _FIRST_DELAY  # it had connected: this is a new outage
            ready.clear()
            if on_failure is not None:
                on_failure()
            log.warning(
                event, error=str(exc), error_type=type(exc).__name__, retry_in_s=delay, **fields
            )
            stop.wait(delay)
            delay = min(delay * 2, _MAX_DELAY)
