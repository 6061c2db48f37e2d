"""Rows the legacy application inserts and updates reach subscribers as canonical messages,
in order per key, once each — on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from adapters import AdapterHost
from adapters.sql import SqlAdapter
from bus import Bus, Delivery
from examples.legacy.benefits_db import LegacyApplication
from tests.integration._waiting import wait_for
from tests.integration.sql._configs import sql_config

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("broker_url", ["rabbitmq"], indirect=True)
def test_legacy_inserts_and_updates_arrive_in_order_once_each(
    legacy: LegacyApplication, bus_factory: Callable[..., Bus], tmp_path: Path
):
    legacy.open_case("C1", "Jürgen Müller", amount=Decimal("120.50"), start_dt="01.02.2003")
    legacy.open_case("C2", "Ann", start_dt="0000-00-00")
    bus = bus_factory()
    seen: list[Delivery] = []
    bus.subscribe("cases", ["benefits.case.#"], seen.append)
    host = AdapterHost(bus, [SqlAdapter("benefits", sql_config(str(legacy.engine.url), tmp_path))])
    host.start()
    bus.start()
    assert bus.wait_ready(30)
    try:
        wait_for(lambda: len(seen) >= 2, what="the two existing cases")
        legacy.change_status("C1", "PA")
        legacy.change_status("C2", "RJ")
        # A watermark sees a row's latest state: a second update of C1 before the next poll
        # would replace PA. So the story lets one poll pass between C1's two updates.
        wait_for(lambda: len(seen) >= 4, what="the first two updates")
        legacy.change_status("C1", "CL")
        wait_for(lambda: len(seen) >= 5, what="the third update")
    finally:
        host.stop()

    story = [(d.envelope.subject, d.payload.model_dump()["status"]) for d in seen]
    assert story == [("C1", "OP"), ("C2", "OP"), ("C1", "PA"), ("C2", "RJ"), ("C1", "CL")]


def test_a_row_is_coerced_from_its_legacy_representation(
    legacy: LegacyApplication, bus_factory: Callable[..., Bus], tmp_path: Path
):
    legacy.open_case("C7", "Jürgen Müller", amount=Decimal("120.50"), start_dt="01.02.2003")
    legacy.open_case("C8", "Ann", start_dt="0000-00-00")
    bus = bus_factory()
    seen: list[Delivery] = []
    bus.subscribe("cases", ["benefits.case.#"], seen.append)
    host = AdapterHost(bus, [SqlAdapter("benefits", sql_config(str(legacy.engine.url), tmp_path))])
    host.start()
    bus.start()
    assert bus.wait_ready(30)
    try:
        wait_for(lambda: len(seen) >= 2, what="the two cases")
    finally:
        host.stop()

    assert [d.envelope.data for d in seen] == [
        {
            "case_no": "C7",
            "client_name": "Jürgen Müller",
            "status": "OP",
            "amount": "120.50",
            "start_dt": "2003-02-01",
        },
        {"case_no": "C8", "client_name": "Ann", "status": "OP", "amount": None, "start_dt": None},
    ]
