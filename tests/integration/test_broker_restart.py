"""RabbitMQ goes away mid-stream (`rabbitmqctl stop_app`) and comes back: the consumer
reconnects, a publish made during the outage waits and lands, and nothing is lost."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import date

import pytest

from bus import Bus, Delivery
from schemas import Address, AddressChanged
from tests.integration._waiting import wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.parametrize("broker_url", ["rabbitmq"], indirect=True),  # RabbitMQ only
]

MESSAGES = 600


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.fixture
def restartable_rabbitmq(rabbitmq_url: str) -> str:
    if shutil.which("rabbitmqctl") is None:
        pytest.fail("rabbitmqctl is not on PATH; the broker restart test needs it")
    return rabbitmq_url


def change(i: int) -> AddressChanged:
    return AddressChanged(
        person_id=f"3800108{i:04d}",
        address=Address(street=f"Pikk {i}", postal_code="10123", city="Tallinn", country="EE"),
        effective_date=date(2026, 12, 1),
    )


def test_consumer_reconnects_after_broker_restart_and_nothing_is_lost(
    restartable_rabbitmq: str, bus_factory: Callable[..., Bus]
):
    bus = bus_factory()
    handled: set[str] = set()
    lock = threading.Lock()

    def slow_handler(delivery: Delivery) -> None:
        time.sleep(0.005)
        with lock:
            handled.add(delivery.envelope.id)

    consumer = bus.subscribe("restart", ["civic.#"], slow_handler, prefetch=20)
    envelopes = [bus.registry.envelope(change(i), source="urn:test") for i in range(MESSAGES)]
    bus.publish(*envelopes)
    bus.start()
    wait_for(lambda: len(handled) >= 100, what="100 messages handled before the outage")

    late = bus.registry.envelope(change(MESSAGES), source="urn:test")
    rabbitmqctl("stop_app")
    try:
        publishing = threading.Thread(target=bus.publish, args=(late,))
        publishing.start()  # waits for the broker, with backoff, inside the publisher
        time.sleep(2)
    finally:
        rabbitmqctl("start_app")
    rabbitmqctl("await_startup")
    publishing.join(60)

    wait_for(
        lambda: len(handled) == MESSAGES + 1,
        timeout=120,
        what="every message, including the one published during the outage",
    )
    assert consumer.reconnects >= 1
    assert handled == {e.id for e in [*envelopes, late]}
