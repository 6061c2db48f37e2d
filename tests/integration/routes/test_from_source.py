"""A route that reads an adapter's source by name: records of a file dropped in an inbox are
translated and sent on, the adapter and the route wired as `civicbus run` wires them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters import AdapterHost
from adapters.filedrop import CsvFormat, FileDropAdapter, FileDropConfig, Inbox, Readiness
from bus import Bus, Delivery
from routes import Route, RouteHost
from schemas import Envelope
from tests.integration._waiting import wait_for
from tests.integration.routes.models import PAYMENT, payments_registry

pytestmark = pytest.mark.timeout(120)


def test_a_route_from_a_source_gets_its_events(bus_factory: Callable[..., Bus], tmp_path: Path):
    bus = bus_factory(registry=payments_registry())
    inbox = Inbox(
        name="payments",
        path=tmp_path / "in",
        format=CsvFormat(),
        event_type="test.payment.file-record",
        readiness=Readiness(stable_seconds=0.3, min_age=0.2),
        poll_interval=0.2,
    )
    host = AdapterHost(bus, [FileDropAdapter("drop", FileDropConfig(inboxes=[inbox]))])
    host.start()
    route = Route.model_validate(
        {
            "route": "payments-from-files",
            "from": {"source": "drop.payments"},
            "steps": [
                {
                    "translate": {
                        "to": PAYMENT,
                        "fields": {
                            "id": "data.fields.id",
                            "amount": {"expr": "int(data.fields.amount)"},
                        },
                    }
                },
                {"to": {"channel": "payments.from-files"}},
            ],
        }
    )
    RouteHost(bus, [route], sources=host.source_types()).start()
    seen: list[Envelope] = []
    lock = threading.Lock()

    def keep(delivery: Delivery) -> None:
        with lock:
            seen.append(delivery.envelope)

    bus.subscribe("watch", ["payments.from-files"], keep)
    bus.start()
    try:
        assert bus.wait_ready(30)
        (inbox.path / "p.csv").write_text("id,amount\nA,10\nB,20\n")
        wait_for(lambda: len(seen) >= 2, what="two routed records")
    finally:
        host.stop()
    assert sorted((e.type, e.data["id"], e.data["amount"]) for e in seen) == [
        (PAYMENT, "A", 10),
        (PAYMENT, "B", 20),
    ]
