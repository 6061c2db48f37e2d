"""Liveness and readiness: is the process alive, and can it do its work now — the broker
answers, the journal and state databases answer, the adapters are healthy.

Each check runs with its own timeout (a hung broker makes the check fail, not the probe hang)
and the answer is kept for a moment, so a probe every second costs one check a few seconds.
Draining — before a planned stop — makes readiness fail at once, so a load balancer stops
sending work while the process finishes what it holds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from kombu import Connection

from bus.migrations import database_engine

if TYPE_CHECKING:
    from bus._runtime import Bus

Check = Callable[[], str]  # returns a detail when fine, raises when not


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str
    ms: float

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail, "ms": round(self.ms, 1)}


class Readiness:
    """Named checks, run together with a timeout each, answers cached for `cache_seconds`."""

    def __init__(self, *, timeout: float = 2.0, cache_seconds: float = 2.0) -> None:
        self._checks: dict[str, Check] = {}
        self._timeout = timeout
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, dict[str, CheckResult]] | None = None
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(4, thread_name_prefix="readiness")
        self.draining = threading.Event()

    def add(self, name: str, check: Check) -> None:
        with self._lock:
            self._checks[name] = check
            self._cached = None

    def report(self) -> tuple[bool, dict[str, Any]]:
        """(ready, the body of /readyz)."""
        if self.draining.is_set():
            return False, {"status": "draining", "checks": {}}
        results = self._results()
        ready = all(result.ok for result in results.values())
        body = {
            "status": "ready" if ready else "not ready",
            "checks": {name: result.as_dict() for name, result in results.items()},
        }
        return ready, body

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _results(self) -> dict[str, CheckResult]:
        with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._cached[0] < self._cache_seconds:
                return self._cached[1]
            checks = dict(self._checks)
        started = time.perf_counter()
        futures = {name: self._pool.submit(_timed, check) for name, check in checks.items()}
        results: dict[str, CheckResult] = {}
        for name, future in futures.items():
            remaining = max(0.0, self._timeout - (time.perf_counter() - started))
            try:
                results[name] = future.result(timeout=remaining)
            except FutureTimeout:
                results[name] = CheckResult(False, f"no answer within {self._timeout}s", 0.0)
        with self._lock:
            self._cached = (time.monotonic(), results)
        return results


def _timed(check: Check) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = check()
    except Exception as error:
        return CheckResult(False, f"{type(error).__name__}: {error}", _ms(started))
    return CheckResult(True, detail, _ms(started))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def bus_readiness(bus: Bus, **options: float) -> Readiness:
    """Readiness of a bus: its broker, its journal and its state database."""
    readiness = Readiness(**options)
    readiness.add("broker", lambda: _broker(bus))
    state = database_engine(bus.settings.state)
    readiness.add("state", lambda: _database(state))
    if bus.journal is not None:
        journal_engine = database_engine(bus.settings.journal_url)
        journal = bus.journal
        readiness.add("journal", lambda: _journal(journal_engine, journal.lag))
    return readiness


def _broker(bus: Bus) -> str:
    with Connection(bus.settings.broker, connect_timeout=2) as connection:
        connection.ensure_connection(max_retries=1)
        connection.channel()  # a broker that accepts the login but cannot open a channel fails
    return "answers"


def _database(engine: sa.Engine) -> str:
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    return "answers"


def _journal(engine: sa.Engine, lag: int) -> str:
    _database(engine)
    return f"answers; {lag} entries waiting to be written"
