"""A request's deadline: when its caller stops waiting for the reply. The caller stamps it on
the request (the `deadline` extension); an operation server that takes the request after it
leaves the legacy system alone, so a call its caller gave up on is not carried out later —
when the worker catches up with a backlog, say, or restarts with requests still queued."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas import Envelope

DEADLINE = "deadline"

# Callers and servers on different hosts read different clocks; NTP keeps them far closer.
CLOCK_GRACE = timedelta(seconds=1)


def deadline_text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def passed_deadline(request: Envelope, now: datetime | None = None) -> datetime | None:
    """The request's deadline if it has passed, else None (also for a request without one,
    or with one that does not read as a time: such a request is served as before)."""
    stamped = (request.model_extra or {}).get(DEADLINE)
    if not isinstance(stamped, str):
        return None
    try:
        deadline = datetime.fromisoformat(stamped.replace("Z", "+00:00"))
    except ValueError:
        return None
    if deadline.tzinfo is None:
        return None
    return deadline if (now or datetime.now(UTC)) > deadline + CLOCK_GRACE else None
