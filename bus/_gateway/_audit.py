"""Every gateway call in the journal — client, operation, outcome, stated purpose and end
user — as a `civicbus.gateway.call` message, searchable like any other; and calls about a
person in the data-access log as well."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from bus._gateway._access_log import DataAccess, DataAccessLog
from bus._journal import Hop, Journal
from schemas import Envelope

GATEWAY_CALL_TYPE = "civicbus.gateway.call"
PURPOSE_HEADER = "X-Purpose"
END_USER_HEADER = "X-End-User"

log = structlog.get_logger("civicbus.gateway")


@dataclass
class CallRecord:
    """What is known about one HTTP call so far; filled in as it is handled."""

    method: str
    path: str
    operation: str | None = None
    client: str | None = None
    purpose: str | None = None
    end_user: str | None = None
    person_id: str | None = None
    request_id: str | None = None
    # Authenticated, granted and valid: the call was let through to the operation (or to the
    # answer kept for its Idempotency-Key), so it counts as an access to the person's data.
    authorised: bool = False
    traceparent: str | None = None  # the caller's W3C trace context, if it sent one


class Audit:
    def __init__(self, journal: Journal | None, access_log: DataAccessLog) -> None:
        self._journal = journal
        self._access_log = access_log

    def record(self, call: CallRecord, *, status: int, outcome: str, duration_ms: float) -> None:
        """Journal the call; log a data access when a person's data went to the bus."""
        if call.person_id and call.authorised and call.client and call.operation:
            self._access_log.record(
                DataAccess(
                    person_id=call.person_id,
                    at=datetime.now(UTC),
                    client=call.client,
                    operation=call.operation,
                    purpose=call.purpose,
                    end_user=call.end_user,
                    request_id=call.request_id or "",
                    status=status,
                )
            )
        log.info(
            "gateway_call",
            client=call.client,
            operation=call.operation,
            status=status,
            outcome=outcome,
            duration_ms=round(duration_ms, 2),
        )
        if self._journal is None:
            return
        envelope = Envelope(
            id=uuid.uuid4().hex,
            type=GATEWAY_CALL_TYPE,
            source="civicbus://gateway",
            subject=call.person_id,
            correlationid=call.request_id or None,
            data={
                "method": call.method,
                "path": call.path,
                "client": call.client,
                "operation": call.operation,
                "status": status,
                "outcome": outcome,
                "purpose": call.purpose,
                "end_user": call.end_user,
                "request_id": call.request_id,
            },
        )
        self._journal.message(envelope)
        self._journal.hop(
            envelope.id,
            Hop.HANDLED if status < 400 else Hop.REJECTED,
            consumer="gateway",
            duration_ms=duration_ms,
            error=None if status < 400 else outcome,
            detail={"client": call.client, "operation": call.operation, "status": status},
        )
