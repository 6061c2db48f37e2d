"""The Bus's own upkeep, on the embedded broker in a temporary folder."""

from __future__ import annotations

import time
from pathlib import Path

from bus import Bus, Settings
from tests.integration._waiting import wait_for


def test_old_idempotency_records_are_purged_when_the_bus_starts(tmp_path: Path):
    retention_s = 0.05
    settings = Settings(data_dir=tmp_path, idempotency_retention_days=retention_s / 86400)
    with Bus(settings) as first:
        with first.idempotency.claim("benefits", "message-1") as claim:
            assert not claim.duplicate
        assert first.idempotency.seen("benefits", "message-1")
    time.sleep(retention_s * 2)

    with Bus(settings) as second:
        second.start()
        wait_for(
            lambda: not second.idempotency.seen("benefits", "message-1"),
            what="the old record to be purged",
        )
