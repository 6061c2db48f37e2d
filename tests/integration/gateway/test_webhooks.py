"""Events reach subscribers by signed webhooks; a receiver that stays down gets its events
retried with backoff and then dead-lettered — every one of them, none lost."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bus import verify_webhook
from schemas import Address, AddressChanged
from tests.integration._waiting import wait_for
from tests.integration.conftest import drain_queue
from tests.integration.gateway.conftest import RunningGateway

pytestmark = pytest.mark.timeout(120)

ADDRESS_CHANGED = "civic.person.address-changed"


class Receiver:
    """A subscriber's webhook endpoint on loopback that records what it is sent."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None: ...

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks/civicbus"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture
def dead_url() -> str:
    """A loopback URL where nothing listens: every delivery is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


def publish_changes(gateway: RunningGateway, count: int) -> list[str]:
    worker = gateway.worker
    envelopes = [
        worker.registry.envelope(
            AddressChanged(
                person_id=f"0{i}0{i}0{i}-000{i}",
                address=Address(street="Pikk 1", postal_code="10123", city="Tallinn", country="EE"),
                effective_date=date(2026, 1, 1),
            ),
            source="civicbus://test/population-register",
            subject=f"person-{i}",
        )
        for i in range(count)
    ]
    worker.publish(*envelopes)
    return [envelope.id for envelope in envelopes]


def subscribe(gateway: RunningGateway, key: str, url: str) -> dict[str, Any]:
    with gateway.http(key) as http:
        response = http.post(
            "/api/v1/subscriptions", json={"event_type": ADDRESS_CHANGED, "url": url}
        )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_subscriber_receives_each_event_signed(gateway: RunningGateway, receiver: Receiver):
    key = gateway.client("portal", ("event", ADDRESS_CHANGED))
    subscription = subscribe(gateway, key, receiver.url)

    sent = publish_changes(gateway, 3)
    wait_for(lambda: len(receiver.received) >= 3, timeout=30, what="three webhook deliveries")

    ids = [json.loads(body)["id"] for _headers, body in receiver.received]
    assert sorted(ids) == sorted(sent)
    assert all(
        verify_webhook(subscription["secret"], body, headers["Civicbus-Signature"])
        for headers, body in receiver.received
    )


def test_a_forged_or_altered_delivery_fails_the_signature_check(
    gateway: RunningGateway, receiver: Receiver
):
    key = gateway.client("portal", ("event", ADDRESS_CHANGED))
    subscription = subscribe(gateway, key, receiver.url)
    publish_changes(gateway, 1)
    wait_for(lambda: len(receiver.received) >= 1, timeout=30, what="a webhook delivery")
    headers, body = receiver.received[0]

    assert not verify_webhook(subscription["secret"], body + b" ", headers["Civicbus-Signature"])
    assert not verify_webhook("another-secret", body, headers["Civicbus-Signature"])


def test_a_receiver_that_stays_down_gets_retries_then_dead_letters_none_lost(
    gateway: RunningGateway, dead_url: str
):
    key = gateway.client("portal", ("event", ADDRESS_CHANGED))
    subscription = subscribe(gateway, key, dead_url)
    consumer = f"webhook.{subscription['id']}"
    dead_letter_queue = gateway.bus.topology.dead_letter_queue_name(consumer)

    sent = publish_changes(gateway, 4)
    journal = gateway.bus.journal
    assert journal is not None

    def all_dead_lettered() -> bool:
        journal.flush()
        return all(
            (found := journal.find(message_id)) is not None
            and any(h.hop == "dead_lettered" and h.consumer == consumer for h in found.hops)
            for message_id in sent
        )

    wait_for(all_dead_lettered, timeout=60, what="every event to be dead-lettered")
    dead = drain_queue(gateway.bus.settings.broker, dead_letter_queue)

    assert sorted(json.loads(m.body)["id"] for m in dead) == sorted(sent)
    record = journal.find(sent[0])
    assert record is not None
    retried = [h for h in record.hops if h.hop == "retried" and h.consumer == consumer]
    assert retried  # redelivered through the delay lines before giving up


def test_subscribing_to_an_event_type_not_granted_is_forbidden(
    gateway: RunningGateway, receiver: Receiver
):
    key = gateway.client("portal", ("event", "civic.person"))
    with gateway.http(key) as http:
        response = http.post(
            "/api/v1/subscriptions", json={"event_type": ADDRESS_CHANGED, "url": receiver.url}
        )

    assert (response.status_code, response.json()["type"]) == (
        403,
        "urn:civicbus:problem:forbidden",
    )


def test_an_unsubscribed_client_receives_nothing_more(gateway: RunningGateway, receiver: Receiver):
    key = gateway.client("portal", ("event", ADDRESS_CHANGED))
    removed_one = subscribe(gateway, key, receiver.url)
    control = subscribe(gateway, key, receiver.url)  # still subscribed: shows events flowed
    with gateway.http(key) as http:
        removed = http.delete(f"/api/v1/subscriptions/{removed_one['id']}")
        listed = http.get("/api/v1/subscriptions").json()["subscriptions"]

    publish_changes(gateway, 2)
    wait_for(lambda: len(receiver.received) >= 2, timeout=30, what="the control's deliveries")

    assert (removed.status_code, [s["id"] for s in listed]) == (204, [control["id"]])
    assert {h["Civicbus-Subscription"] for h, _body in receiver.received} == {control["id"]}
