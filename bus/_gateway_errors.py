"""The gateway's problem documents as exceptions, for Python clients of the gateway: one
class per kind of failure, chosen by the problem's stable `type`."""

from __future__ import annotations

from typing import Any

_PREFIX = "urn:civicbus:problem:"


class GatewayError(Exception):
    """A problem (RFC 9457) the gateway answered; `problem` holds the whole document."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        self.type = str(problem.get("type", ""))
        self.title = str(problem.get("title", ""))
        self.detail = str(problem.get("detail", ""))
        # request: the caller must change something; bus: civicbus failed; legacy: the system
        # behind the adapter failed or refused.
        self.origin = str(problem.get("origin", ""))
        super().__init__(f"{status} {self.type.removeprefix(_PREFIX)}: {self.detail}")

    @property
    def slug(self) -> str:
        return self.type.removeprefix(_PREFIX)

    @property
    def retry_after(self) -> float | None:
        value = self.problem.get("retry_after")
        return float(value) if isinstance(value, int | float) else None


class AuthenticationFailed(GatewayError):
    """401: no valid API key or token."""


class AccessDenied(GatewayError):
    """403: the client was not granted this operation, event type or privilege."""


class UnknownResource(GatewayError):
    """404: no such operation, call or subscription."""


class RequestRejected(GatewayError):
    """The request itself is wrong (bad JSON, schema, size, media type, reused key)."""


class RateLimited(GatewayError):
    """429: over the client's rate limit; `retry_after` says how long to wait."""


class LegacySystemError(GatewayError):
    """The legacy system refused the request, failed, was unreachable or too slow."""


class BusError(GatewayError):
    """civicbus itself could not complete the call (timeout, open circuit, adapter error)."""


_BY_SLUG: dict[str, type[GatewayError]] = {
    "unauthenticated": AuthenticationFailed,
    "forbidden": AccessDenied,
    "not-found": UnknownResource,
    "unknown-operation": UnknownResource,
    "rate-limited": RateLimited,
}


def problem_error(status: int, problem: dict[str, Any], retry_after: str | None) -> GatewayError:
    """The exception for a problem answer; `retry_after` is the Retry-After header."""
    if retry_after is not None and retry_after.isdigit():
        problem = {**problem, "retry_after": int(retry_after)}
    slug = str(problem.get("type", "")).removeprefix(_PREFIX)
    cls = _BY_SLUG.get(slug)
    if cls is None:
        origin = problem.get("origin")
        cls = {"legacy": LegacySystemError, "bus": BusError}.get(str(origin), RequestRejected)
    return cls(status, problem)
