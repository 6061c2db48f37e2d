"""Problem details: a failed operation's reply maps to a stable type that says whose fault
it is; the rate limiter refuses past the burst and says how long to wait."""

from __future__ import annotations

import pytest

from bus._gateway._problems import PROBLEM_TYPES, from_operation_error
from bus._gateway._rate_limit import RateLimiter
from schemas import OperationError


@pytest.mark.parametrize(
    ("code", "retryable", "slug", "status", "origin"),
    [
        ("legacy_fault", False, "legacy-rejected", 422, "legacy"),
        ("legacy_fault", True, "legacy-fault", 502, "legacy"),
        ("legacy_timeout", True, "legacy-timeout", 504, "legacy"),
        ("legacy_unavailable", True, "legacy-unavailable", 503, "legacy"),
        ("circuit_open", True, "circuit-open", 503, "bus"),
        ("invalid_request", False, "invalid-request", 422, "request"),
        ("internal_error", False, "adapter-error", 502, "bus"),
    ],
)
def test_an_operation_error_becomes_a_problem_of_its_origin(
    code: str, retryable: bool, slug: str, status: int, origin: str
) -> None:
    error = OperationError(code=code, message="m", retryable=retryable, adapter="a", operation="o")

    body = from_operation_error(error, "req-1").body()

    assert (body["type"], body["status"], body["origin"]) == (
        f"urn:civicbus:problem:{slug}",
        status,
        origin,
    )


def test_problem_types_are_unique_uris() -> None:
    uris = [t.uri for t in PROBLEM_TYPES.values()]

    assert len(uris) == len(set(uris))


def test_the_rate_limiter_refuses_past_the_burst_per_client() -> None:
    limiter = RateLimiter(per_minute=60, burst=2)

    waits = [limiter.take("a"), limiter.take("a"), limiter.take("a"), limiter.take("b")]

    assert waits[:2] == [0.0, 0.0]
    assert 0 < waits[2] <= 1.0
    assert waits[3] == 0.0
