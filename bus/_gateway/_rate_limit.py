"""Per-client rate limits: a token bucket per client in this gateway process."""

from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    """`per_minute` sustained, `burst` at once; `take` answers the seconds to wait, or 0."""

    def __init__(self, *, per_minute: int, burst: int) -> None:
        self._per_minute = per_minute
        self._burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, updated)
        self._lock = threading.Lock()

    def take(self, client: str, per_minute: int | None = None) -> float:
        rate = (per_minute or self._per_minute) / 60.0
        burst = float(max(self._burst, 1))
        now = time.monotonic()
        with self._lock:
            tokens, updated = self._buckets.get(client, (burst, now))
            tokens = min(burst, tokens + (now - updated) * rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                return 0.0
            self._buckets[client] = (tokens, now)
        return (1.0 - tokens) / rate


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
