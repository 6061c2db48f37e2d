"""Sources: events a legacy system produces reach consumers once each, even when a source
emits them again after a crash; records that cannot become events are dead-lettered."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest
from pydantic import BaseModel

from adapters import (
    Adapter,
    AdapterConfig,
    AdapterHost,
    Emitter,
    Health,
    Operation,
    Source,
    SourceEvent,
)
from bus import Bus, Delivery, Hop
from bus._wire import HEADER_ERROR, HEADER_REASON
from tests.integration._waiting import wait_for
from tests.integration.conftest import drain_queue

pytestmark = pytest.mark.timeout(120)


class Benefit(BaseModel):
    case_id: str
    amount: int


class LedgerConfig(AdapterConfig):
    kind: str = "test-ledger"


class Ledger(Adapter[LedgerConfig]):
    """Emits three changes, then the same three again (as after a crash before its watermark
    was saved), then one row it cannot read."""

    kind = "test-ledger"
    config_model = LedgerConfig

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> Health:
        return Health(ok=True, detail="up")

    def operations(self) -> list[Operation]:
        return []

    def sources(self) -> list[Source]:
        return [Source("changes", Benefit, "test.benefit.changed", self._run)]

    def _run(self, emitter: Emitter, stop: threading.Event) -> None:
        rows = [
            SourceEvent(
                Benefit(case_id=f"c{i}", amount=i * 10),
                key=f"row-{i}:v1",
                subject=f"c{i}",
                extensions={"rownumber": i},
            )
            for i in range(3)
        ]
        emitter.emit(rows)
        emitter.emit(rows)
        emitter.reject(
            b"\xff\xfe garbled row",
            reason="undecodable_row",
            detail={"table": "BENEFITS", "rowid": 7},
        )
        stop.wait()


def test_a_change_emitted_twice_is_handled_once_and_a_bad_row_is_dead_lettered(
    bus_factory: Callable[..., Bus],
):
    bus = bus_factory()
    seen: list[Delivery] = []
    bus.subscribe("benefits", ["test.benefit.#"], seen.append)
    host = AdapterHost(bus, [Ledger("ledger", LedgerConfig())])
    host.start()
    bus.start()
    assert bus.wait_ready(30)
    try:
        letters: list = []
        queue = f"{bus.settings.queue_prefix}.source.ledger.changes.dlq"
        wait_for(
            lambda: bool(letters.extend(drain_queue(bus.settings.broker, queue))) or bool(letters),
            what="the dead-lettered row",
        )
        wait_for(lambda: len(seen) >= 3, what="three changes")
        assert bus.journal is not None

        def copies_dropped() -> bool:
            bus.journal.flush()
            records = [bus.journal.find(d.envelope.id) for d in seen[:3]]
            return all(r is not None and Hop.DUPLICATE in [h.hop for h in r.hops] for r in records)

        wait_for(copies_dropped, what="the second emission to be dropped as duplicates")
    finally:
        host.stop()

    assert [d.payload for d in seen] == [Benefit(case_id=f"c{i}", amount=i * 10) for i in range(3)]
    assert [d.envelope.model_extra["rownumber"] for d in seen] == [0, 1, 2]
    assert (letters[0].headers[HEADER_REASON], json.loads(letters[0].headers[HEADER_ERROR])) == (
        "undecodable_row",
        {"table": "BENEFITS", "rowid": 7},
    )
