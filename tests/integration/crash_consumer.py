"""A consumer process for the crash tests: records each handled message id in the state
database, in the same transaction as the idempotency record. Run with the settings as JSON:

    python -m tests.integration.crash_consumer '{"broker_url": ...}'
"""

from __future__ import annotations

import json
import os
import sys
import time

import sqlalchemy as sa

from bus import Bus, Delivery, Settings, configure_logging

CONSUMER = "crash-test"
PATTERNS = ["civic.#"]


def record(delivery: Delivery) -> None:
    delivery.transaction.execute(
        sa.text("INSERT INTO handled (message_id, pid) VALUES (:id, :pid)"),
        {"id": delivery.envelope.id, "pid": _PID},
    )
    time.sleep(_HANDLER_SECONDS)  # a legacy system taking its time, so a signal lands mid-stream


_PID = 0
_HANDLER_SECONDS = float(os.environ.get("CRASH_CONSUMER_HANDLER_SECONDS", "0.002"))


def main() -> None:
    global _PID  # noqa: PLW0603 — set once at start, read by the handler
    _PID = os.getpid()
    settings = Settings(**json.loads(sys.argv[1]))
    configure_logging(settings)  # JSON lines on stderr, where the tests read them
    bus = Bus(settings)
    bus.subscribe(CONSUMER, PATTERNS, record, prefetch=50)
    bus.run_until_stopped()


if __name__ == "__main__":
    main()
