"""What can go wrong when civicbus talks to a legacy system, told apart so callers can act.

`retryable` says whether the same request may succeed later. A fault the legacy system
raised about the request itself (a SOAP Client fault, a constraint violation) never is.
"""

from __future__ import annotations

from typing import Any


class AdapterError(Exception):
    """A call to a legacy system did not produce a reply."""

    code = "adapter_error"
    retryable = False

    def __init__(self, message: str, *, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class LegacyFault(AdapterError):
    """The legacy system answered, with a fault (SOAP fault, database error...)."""

    code = "legacy_fault"

    def __init__(
        self, message: str, *, fault_code: str, retryable: bool, detail: Any = None
    ) -> None:
        super().__init__(message, detail=detail)
        self.fault_code = fault_code
        self.retryable = retryable


class LegacyUnavailable(AdapterError):
    """The legacy system could not be reached or gave no usable answer (connection refused,
    HTTP 5xx without a fault, malformed reply). `sent` is False when the request certainly
    never reached it, which makes a retry safe even for operations that change data."""

    code = "legacy_unavailable"
    retryable = True

    def __init__(self, message: str, *, sent: bool = True, detail: Any = None) -> None:
        super().__init__(message, detail=detail)
        self.sent = sent


class LegacyTimeout(LegacyUnavailable):
    """The legacy system did not answer within the timeout; it may still have acted."""

    code = "legacy_timeout"


class CircuitOpen(AdapterError):
    """Calls are refused without reaching the legacy system while its circuit is open."""

    code = "circuit_open"
    retryable = True

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidRequest(AdapterError):
    """The request does not match the operation's schema; nothing was sent."""

    code = "invalid_request"


class UnknownOperation(AdapterError):
    """The adapter has no operation of that name."""

    code = "unknown_operation"


class AdapterConfigError(ValueError):
    """An adapter's configuration cannot be used; the message says what to change."""


class UnknownAdapterKind(LookupError):
    """No installed adapter kind has that name."""
