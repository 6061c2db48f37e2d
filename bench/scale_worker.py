"""A worker process for the scale-out benchmark: consumes address changes, spends `io`
seconds per message waiting as a legacy call would, and records each handled id with the
idempotency record. Run: python -m bench.scale_worker SETTINGS_JSON IO_SECONDS"""

from __future__ import annotations

import json
import sys
import time

import sqlalchemy as sa

from bus import Bus, Delivery, Settings

CONSUMER = "scale"


def main() -> None:
    io_seconds = float(sys.argv[2])
    bus = Bus(Settings(**json.loads(sys.argv[1])))

    def handle(delivery: Delivery) -> None:
        time.sleep(io_seconds)
        delivery.transaction.execute(
            sa.text("INSERT INTO handled (message_id) VALUES (:id)"), {"id": delivery.envelope.id}
        )

    bus.subscribe(CONSUMER, ["civic.person.address-changed"], handle, prefetch=20)
    bus.run_until_stopped()


if __name__ == "__main__":
    main()
