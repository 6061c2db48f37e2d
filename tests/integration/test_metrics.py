"""Prometheus metrics move when messages flow, read back with the Prometheus text parser."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bus import Bus, Delivery, PermanentError
from schemas import Address, AddressChanged
from tests.integration._waiting import wait_for

pytestmark = pytest.mark.timeout(120)


def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples = {}
    for family in text_string_to_metric_families(generate_latest(REGISTRY).decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_consumed_dead_lettered_published_and_queue_depth_series_move(
    bus_factory: Callable[..., Bus],
):
    bus = bus_factory()
    consumer_name = f"metrics-{id(bus)}"

    def handle(delivery: Delivery) -> None:
        if delivery.envelope.subject == "bad":
            raise PermanentError("refused")

    consumer = bus.subscribe(consumer_name, ["civic.person.address-changed"], handle)
    bus.start()
    assert bus.wait_ready(30)
    before = scrape()
    change = AddressChanged(
        person_id="38001085718",
        address=Address(street="Pikk 1", postal_code="10123", city="Tallinn", country="EE"),
        effective_date=date(2026, 12, 1),
    )
    subjects = ["ok1", "ok2", "bad"]
    bus.publish(*(bus.registry.envelope(change, source="t", subject=s) for s in subjects))

    def moved() -> bool:
        now = scrape()
        return (
            value(
                now, "civicbus_messages_consumed_total", consumer=consumer_name, outcome="handled"
            )
            == 2
            and value(
                now,
                "civicbus_messages_consumed_total",
                consumer=consumer_name,
                outcome="dead_lettered",
            )
            == 1
        )

    wait_for(moved, what="the consumed counters")
    after = scrape()
    published = "civicbus_messages_published_total"
    type_label = {"type": "civic.person.address-changed"}
    assert value(after, published, **type_label) - value(before, published, **type_label) >= 3
    assert value(after, "civicbus_handler_seconds_count", consumer=consumer_name) == 2
    dlq = consumer.queues.dead_letters.name
    # Read off the broker when scraped, kept a few seconds: it catches up with the queue.
    wait_for(
        lambda: value(scrape(), "civicbus_queue_messages", queue=dlq) == 1.0,
        what="the dead-letter queue's depth",
    )
    assert ("civicbus_journal_lag", ()) in after
