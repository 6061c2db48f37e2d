"""RFC 9457 problem details: one stable `type` per error, and `origin` telling the caller
whether its request, the bus, or the legacy system is at fault."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from starlette.responses import JSONResponse

from schemas import FieldProblem, OperationError

PROBLEM_JSON = "application/problem+json"
Origin = Literal["request", "bus", "legacy"]


@dataclass(frozen=True)
class ProblemType:
    slug: str
    title: str
    status: int
    origin: Origin

    @property
    def uri(self) -> str:
        # A URN: stable and never mistaken for a page this deployment must host.
        return f"urn:civicbus:problem:{self.slug}"


def _types(*types: ProblemType) -> dict[str, ProblemType]:
    return {t.slug: t for t in types}


PROBLEM_TYPES = _types(
    ProblemType("invalid-json", "The request body is not JSON", 400, "request"),
    ProblemType("unauthenticated", "No valid credentials", 401, "request"),
    ProblemType("forbidden", "Not granted to this client", 403, "request"),
    ProblemType("not-found", "No such resource", 404, "request"),
    ProblemType("unknown-operation", "No such operation", 404, "request"),
    ProblemType("method-not-allowed", "Method not allowed here", 405, "request"),
    ProblemType("idempotency-key-in-progress", "A call with this key is running", 409, "request"),
    ProblemType("body-too-large", "The request body is too large", 413, "request"),
    ProblemType("unsupported-media-type", "The body must be JSON", 415, "request"),
    ProblemType("invalid-request", "The request breaks the operation's schema", 422, "request"),
    ProblemType("idempotency-key-reused", "Key reused for another request", 422, "request"),
    ProblemType("legacy-rejected", "The legacy system refused the request", 422, "legacy"),
    ProblemType("rate-limited", "Too many requests", 429, "request"),
    ProblemType("quota-exceeded", "The client's daily quota is used up", 429, "request"),
    ProblemType("internal-error", "The gateway failed", 500, "bus"),
    ProblemType("legacy-fault", "The legacy system failed", 502, "legacy"),
    ProblemType("adapter-error", "The adapter failed", 502, "bus"),
    ProblemType("legacy-unavailable", "The legacy system is unreachable", 503, "legacy"),
    ProblemType("circuit-open", "Calls to the legacy system are paused", 503, "bus"),
    ProblemType("bus-timeout", "No reply in time", 504, "bus"),
    ProblemType("legacy-timeout", "The legacy system did not answer in time", 504, "legacy"),
)


class Problem(Exception):
    """An error the gateway answers with a problem document."""

    def __init__(
        self,
        slug: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.type = PROBLEM_TYPES[slug]
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions

    @property
    def status(self) -> int:
        return self.type.status

    def body(self, instance: str | None = None) -> dict[str, Any]:
        document: dict[str, Any] = {
            "type": self.type.uri,
            "title": self.type.title,
            "status": self.type.status,
            "detail": self.detail,
            "origin": self.type.origin,
        }
        if instance:
            document["instance"] = instance
        document.update({k: v for k, v in self.extensions.items() if v is not None})
        return document

    def response(self, instance: str | None = None) -> JSONResponse:
        return JSONResponse(
            self.body(instance),
            status_code=self.status,
            headers=self.headers,
            media_type=PROBLEM_JSON,
        )


def invalid(problems: list[FieldProblem], *, slug: str = "invalid-request") -> Problem:
    listed = [{"location": p.location, "message": p.message} for p in problems]
    detail = "; ".join(str(p) for p in problems[:5]) or "the request is invalid"
    return Problem(slug, f"{detail}. Fix these fields and send again.", problems=listed)


# OperationError.code (from the adapter side) -> problem slug.
_BY_CODE = {
    "legacy_unavailable": "legacy-unavailable",
    "legacy_timeout": "legacy-timeout",
    "circuit_open": "circuit-open",
    "invalid_request": "invalid-request",
    "unknown_operation": "unknown-operation",
}


def from_operation_error(error: OperationError, request_id: str) -> Problem:
    """A failed reply as a problem; a legacy fault the caller can fix (not retryable) is 422,
    one the legacy system should not have made is 502."""
    if error.code == "legacy_fault":
        slug = "legacy-fault" if error.retryable else "legacy-rejected"
    else:
        slug = _BY_CODE.get(error.code, "adapter-error")
    headers = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
    return Problem(
        slug,
        error.message,
        headers=headers,
        code=error.code,
        retryable=error.retryable,
        adapter=error.adapter,
        operation=error.operation,
        fault_code=error.fault_code,
        request_id=request_id,
    )


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details. `origin` says who must act: the caller "
    "(request), civicbus (bus) or the legacy system (legacy).",
    "required": ["type", "title", "status", "detail", "origin"],
    "properties": {
        "type": {"type": "string", "enum": sorted(t.uri for t in PROBLEM_TYPES.values())},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "origin": {"type": "string", "enum": ["request", "bus", "legacy"]},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["location", "message"],
                "properties": {"location": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "code": {"type": "string"},
        "retryable": {"type": "boolean"},
        "adapter": {"type": "string"},
        "operation": {"type": "string"},
        "fault_code": {"type": "string"},
        "request_id": {"type": "string"},
    },
}
