"""A circuit breaker that lets concurrent calls run concurrently.

pybreaker, the usual choice, holds one lock for the whole protected call, which turns an
adapter's concurrency cap into a single lane; this one only locks to read and change state.

closed --(failure_threshold failures in a row)--> open --(reset_timeout)--> half-open
half-open: exactly one probe call goes through; success closes, failure opens again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

BreakerState = Literal["closed", "open", "half-open"]


class BreakerOpen(Exception):
    """A call refused without reaching the legacy system."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"circuit open; retry in {retry_after:.1f}s")
        self.retry_after = retry_after


class CircuitBreaker:
    """Counts failures of one legacy system and fails fast while it is down."""

    def __init__(
        self,
        failure_threshold: int,
        reset_timeout: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = failure_threshold
        self._reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    def admit(self) -> None:
        """Let a call through, or raise BreakerOpen. A call let through must end in
        `succeeded()` or `failed()`; in half-open state it is the one probe."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return
            if state == "half-open" and not self._probing:
                self._probing = True
                return
            assert self._opened_at is not None
            waited = self._clock() - self._opened_at
            raise BreakerOpen(retry_after=max(self._reset_timeout - waited, 0.0))

    def succeeded(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def failed(self) -> None:
        with self._lock:
            if self._probing or self._state() == "half-open":
                self._open()
                return
            self._failures += 1
            if self._failures >= self._threshold:
                self._open()

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._probing = False
        self._failures = 0

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._probing or self._clock() - self._opened_at >= self._reset_timeout:
            return "half-open"
        return "open"
