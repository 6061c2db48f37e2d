"""The gateway client's pure parts: problems become the right exceptions, only safe
failures are retried, and server-sent frames parse into events."""

from __future__ import annotations

import httpx
import pytest

from bus import (
    AccessDenied,
    BusError,
    GatewayError,
    LegacySystemError,
    RateLimited,
    RequestRejected,
    RetryPolicy,
)
from bus._gateway_client import EventParser, wait_before
from bus._gateway_errors import problem_error


@pytest.mark.parametrize(
    ("slug", "origin", "expected"),
    [
        ("forbidden", "request", AccessDenied),
        ("rate-limited", "request", RateLimited),
        ("invalid-json", "request", RequestRejected),
        ("legacy-fault", "legacy", LegacySystemError),
        ("bus-timeout", "bus", BusError),
    ],
)
def test_a_problem_becomes_its_exception(
    slug: str, origin: str, expected: type[GatewayError]
) -> None:
    problem = {"type": f"urn:civicbus:problem:{slug}", "origin": origin, "detail": "x"}

    assert type(problem_error(400, problem, None)) is expected


def test_retry_after_is_read_from_the_header() -> None:
    error = problem_error(429, {"type": "urn:civicbus:problem:rate-limited"}, "7")

    assert error.retry_after == 7


def test_only_429_409_and_lost_connections_are_retried() -> None:
    policy = RetryPolicy(attempts=3, backoff=0.1)
    limited = problem_error(429, {"type": "urn:civicbus:problem:rate-limited"}, "2")
    timed_out = problem_error(504, {"type": "urn:civicbus:problem:bus-timeout"}, None)

    waits = [
        wait_before(1, policy, limited),
        wait_before(1, policy, timed_out),
        wait_before(2, policy, httpx.ConnectError("refused")),
        wait_before(3, policy, httpx.ConnectError("refused")),
    ]

    assert waits == [2.0, None, 0.2, None]


def test_frames_parse_into_events_and_comments_are_skipped() -> None:
    parser = EventParser()
    lines = [
        ": keep-alive",
        "",
        "id: e-1",
        "event: civic.person.address-changed",
        'data: {"id": "e-1", "data": {"city": "Tartu"}}',
        "",
    ]

    events = [event for line in lines if (event := parser.feed(line)) is not None]

    assert [(e.id, e.type, e.envelope["data"]["city"]) for e in events] == [
        ("e-1", "civic.person.address-changed", "Tartu")
    ]
