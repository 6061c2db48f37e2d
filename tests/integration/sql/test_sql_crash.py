"""The poller is SIGKILLed between publishing a batch and committing its progress (watermark
or outbox mark); after a restart no change is missing and the re-emitted copies are dropped by
message id."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters import AdapterHost
from adapters.sql import SqlAdapter, payload_model
from bus import Bus, Delivery, Hop
from examples.legacy.benefits_db import LegacyApplication
from tests.integration._waiting import wait_for
from tests.integration.sql._configs import case_source, outbox_source, sql_config

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("broker_url", ["rabbitmq"], indirect=True)
@pytest.mark.parametrize("strategy", ["watermark", "outbox"])
def test_a_crash_before_the_progress_commit_loses_nothing_and_repeats_nothing(
    legacy: LegacyApplication, bus_factory: Callable[..., Bus], tmp_path: Path, strategy: str
):
    for number in range(3):
        legacy.open_case(f"C{number}", f"client {number}")
    source = case_source() if strategy == "watermark" else outbox_source()
    config = sql_config(str(legacy.engine.url), tmp_path, sources=[source])
    bus = bus_factory()
    # This process consumes before its own adapter starts, so it learns the event type first.
    bus.registry.register(payload_model(config.sources[0]), type="benefits.case.changed", version=1)
    seen: list[Delivery] = []
    bus.subscribe("cases", ["benefits.case.#"], seen.append)
    bus.start()
    assert bus.wait_ready(30)
    settings = {
        "broker_url": bus.settings.broker,
        "exchange": bus.settings.exchange,
        "queue_prefix": bus.settings.queue_prefix,
        "data_dir": str(tmp_path / "poller"),
    }
    crashed = subprocess.run(
        [sys.executable, "-m", "tests.integration.sql.crash_poller",
         json.dumps(settings), config.model_dump_json()],
        timeout=60, check=False, cwd=Path(__file__).resolve().parents[3],
    )  # fmt: skip
    assert crashed.returncode == -9
    wait_for(lambda: len(seen) >= 3, what="the batch published before the crash")

    host = AdapterHost(bus, [SqlAdapter("benefits", config)])
    host.start()
    legacy.open_case("C3", "after the crash")
    try:
        wait_for(lambda: len(seen) >= 4, what="the case opened after the restart")
        assert bus.journal is not None

        def copies_dropped() -> bool:
            bus.journal.flush()
            records = [bus.journal.find(d.envelope.id) for d in seen[:3]]
            return all(r is not None and Hop.DUPLICATE in [h.hop for h in r.hops] for r in records)

        wait_for(copies_dropped, what="the re-emitted batch to be dropped as duplicates")
    finally:
        host.stop()

    assert [d.envelope.subject for d in seen] == ["C0", "C1", "C2", "C3"]
