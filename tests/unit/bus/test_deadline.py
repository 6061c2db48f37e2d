"""Reading a request's deadline: passed only beyond the clock grace; a request without one,
or with one that is not a time, is served as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bus._deadline import CLOCK_GRACE, DEADLINE, deadline_text, passed_deadline
from schemas import Envelope

AT = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


def request(**extensions: object) -> Envelope:
    return Envelope(type="register.put-record.request", source="urn:test", data={}, **extensions)


def test_a_deadline_has_passed_only_beyond_the_clock_grace() -> None:
    stamped = request(**{DEADLINE: deadline_text(AT)})

    assert passed_deadline(stamped, now=AT + CLOCK_GRACE) is None
    assert passed_deadline(stamped, now=AT + CLOCK_GRACE + timedelta(milliseconds=1)) == AT


def test_requests_without_a_readable_deadline_are_served() -> None:
    late = AT + timedelta(days=1)

    assert passed_deadline(request(), now=late) is None
    assert passed_deadline(request(**{DEADLINE: "tomorrow"}), now=late) is None
    assert passed_deadline(request(**{DEADLINE: "2026-11-28T12:00:00"}), now=late) is None
