"""Protection every adapter gives its legacy system: a concurrency cap, a deadline, a circuit
breaker, and retries only for errors that can pass.

One Guard per adapter instance: the breaker counts failures of the legacy system, whichever
operation met them. A fault about the request itself (a SOAP Client fault) is the caller's
problem, not the system's, and neither trips the breaker nor is retried.
"""

from __future__ import annotations

import threading
import time

import structlog
from pydantic import BaseModel
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from adapters._breaker import BreakerOpen, BreakerState, CircuitBreaker
from adapters._config import AdapterConfig
from adapters._errors import AdapterError, CircuitOpen, LegacyTimeout, LegacyUnavailable
from adapters._operation import CallContext, Operation

log = structlog.get_logger("civicbus.adapter")


class Guard:
    """Wraps calls to one legacy system."""

    def __init__(self, adapter: str, config: AdapterConfig) -> None:
        self.adapter = adapter
        self._config = config
        self._slots = threading.BoundedSemaphore(config.concurrency)
        self._breaker = CircuitBreaker(
            config.breaker.failure_threshold, config.breaker.reset_timeout
        )
        self.last_error: str | None = None

    @property
    def state(self) -> BreakerState:
        return self._breaker.state

    def call(self, operation: Operation, request: BaseModel, context: CallContext) -> BaseModel:
        """Invoke `operation` within the adapter's protections, retrying what may pass."""
        try:
            return self._call_once(operation, request, context)
        except Exception as exc:
            if self._config.retry.attempts < 2 or not _may_retry(exc, operation):
                raise
        # Only a failed first try pays for tenacity's machinery.
        time.sleep(self._config.retry.backoff_initial)
        retrying = Retrying(
            retry=retry_if_exception(lambda exc: _may_retry(exc, operation)),
            stop=stop_after_attempt(self._config.retry.attempts - 1),
            wait=wait_exponential_jitter(
                multiplier=self._config.retry.backoff_initial,
                jitter=self._config.retry.backoff_initial,
                max=self._config.retry.backoff_max,
            ),
            reraise=True,
        )
        return retrying(self._call_once, operation, request, context)

    def _call_once(
        self, operation: Operation, request: BaseModel, context: CallContext
    ) -> BaseModel:
        if not self._slots.acquire(timeout=self._config.timeout):
            raise LegacyUnavailable(
                f"{self.adapter}: all {self._config.concurrency} connections to the legacy "
                f"system stayed busy for {self._config.timeout}s; raise `concurrency` only if "
                "the legacy system can take more",
                sent=False,
            )
        try:
            return self._through_breaker(operation, request, context)
        finally:
            self._slots.release()

    def _through_breaker(
        self, operation: Operation, request: BaseModel, context: CallContext
    ) -> BaseModel:
        try:
            self._breaker.admit()
        except BreakerOpen as exc:
            raise CircuitOpen(
                f"{self.adapter}: the circuit is open after repeated failures "
                f"({self.last_error}); calls fail fast for {exc.retry_after:.1f}s more, "
                "then one probe is let through",
                retry_after=exc.retry_after,
            ) from exc
        started = time.perf_counter()
        try:
            response = operation.invoke(request, context)
        except Exception as exc:
            if _counts_against_system(exc):
                self._breaker.failed()
            else:
                self._breaker.succeeded()  # it answered about the request: the system works
            if isinstance(exc, AdapterError):
                self.last_error = f"{exc.code}: {exc.message}"
                log.warning(
                    "legacy_call_failed",
                    adapter=self.adapter,
                    operation=operation.name,
                    error_code=exc.code,
                    retryable=exc.retryable,
                    breaker=self.state,
                )
            raise
        self._breaker.succeeded()
        log.debug(
            "legacy_call",
            adapter=self.adapter,
            operation=operation.name,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )
        return response


def _counts_against_system(exc: BaseException) -> bool:
    # Faults about the request (retryable=False) say the system works; everything else that
    # escapes an adapter (unreachable, timeouts, server faults, bugs) counts as a failure.
    return not (isinstance(exc, AdapterError) and not exc.retryable)


def _may_retry(exc: BaseException, operation: Operation) -> bool:
    if isinstance(exc, CircuitOpen) or not isinstance(exc, AdapterError) or not exc.retryable:
        return False
    if isinstance(exc, LegacyTimeout) or (isinstance(exc, LegacyUnavailable) and exc.sent):
        # The request may have reached the legacy system: only reads are safe to repeat.
        return operation.idempotent
    return True
