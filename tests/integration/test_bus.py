"""The bus end to end on both transports: publish, consume, retry, dead-letter, deduplicate."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa
from kombu import Connection, Producer

from bus import Bus, Delivery, Hop, PermanentError, TransientError
from bus._wire import HEADER_DELIVERY, HEADER_REASON
from schemas import Address, AddressChanged, Envelope, InvalidMessage, Person
from tests.integration._waiting import wait_for
from tests.integration.conftest import drain_queue

pytestmark = pytest.mark.timeout(120)


def address_change(person_id: str = "38001085718", city: str = "Tartu") -> AddressChanged:
    return AddressChanged(
        person_id=person_id,
        address=Address(street="Rüütli 1", postal_code="51007", city=city, country="EE"),
        effective_date=date(2026, 12, 1),
    )


class Recorder:
    """A handler that remembers what it was given and fails as told."""

    def __init__(self, failures: list[BaseException] | None = None) -> None:
        self.deliveries: list[Delivery] = []
        self.calls = 0
        self._failures = list(failures or [])
        self._lock = threading.Lock()

    def __call__(self, delivery: Delivery) -> None:
        with self._lock:
            self.calls += 1
            if self._failures:
                raise self._failures.pop(0)
            self.deliveries.append(delivery)


def started(bus: Bus) -> Bus:
    bus.start()
    assert bus.wait_ready(30)
    return bus


def publish_raw(bus: Bus, body: bytes, routing_key: str, **properties: object) -> None:
    """Put bytes on the exchange as a broken or hostile publisher would, skipping validation."""
    with Connection(bus.settings.broker) as connection:
        producer = Producer(connection.channel())
        producer.publish(
            body,
            exchange=bus.topology.exchange.name,
            routing_key=routing_key,
            content_type="application/cloudevents+json",
            content_encoding="utf-8",
            delivery_mode=2,
            **properties,
        )


def dead_letters(bus: Bus, consumer: str, *, count: int = 1) -> list:
    """Wait until `count` dead letters are there and take them."""
    letters: list = []
    queue = bus.topology.dead_letter_queue_name(consumer)

    def enough() -> bool:
        letters.extend(drain_queue(bus.settings.broker, queue))
        return len(letters) >= count

    wait_for(enough, what=f"{count} dead letter(s) in {queue}")
    return letters


def test_published_event_reaches_handler_as_validated_model(bus_factory: Callable[..., Bus]):
    bus = bus_factory()
    recorder = Recorder()
    bus.subscribe("register", ["civic.person.*"], recorder)
    started(bus)

    envelope = bus.registry.envelope(address_change(), source="urn:test", subject="38001085718")
    bus.publish(envelope)

    wait_for(lambda: len(recorder.deliveries) == 1, what="the delivery")
    delivery = recorder.deliveries[0]
    assert (delivery.envelope.id, delivery.payload) == (envelope.id, address_change())


def test_journal_records_every_hop(bus_factory: Callable[..., Bus]):
    bus = bus_factory()
    bus.subscribe("register", ["civic.#"], Recorder())
    started(bus)
    envelope = bus.registry.envelope(address_change(), source="urn:test")
    bus.publish(envelope)
    assert bus.journal is not None

    def handled() -> bool:
        bus.journal.flush()
        record = bus.journal.find(envelope.id)
        return record is not None and record.status == Hop.HANDLED.value

    wait_for(handled, what="the handled hop in the journal")
    hops = [hop.hop for hop in bus.journal.find(envelope.id).hops]
    assert hops == [Hop.PUBLISHED, Hop.DELIVERED, Hop.HANDLED]


def test_topic_patterns_route_only_matching_types(bus_factory: Callable[..., Bus]):
    bus = bus_factory()
    people, changes = Recorder(), Recorder()
    bus.subscribe("people", ["civic.person"], people)
    bus.subscribe("changes", ["civic.person.address-changed"], changes)
    started(bus)
    person = Person(
        person_id="38001085718", given_name="Mari", family_name="Tamm", birth_date=date(1980, 1, 8)
    )
    bus.publish(
        bus.registry.envelope(person, source="urn:test"),
        bus.registry.envelope(address_change(), source="urn:test"),
    )

    wait_for(lambda: len(people.deliveries) == 1 and len(changes.deliveries) == 1)
    assert [type(d.payload) for d in people.deliveries + changes.deliveries] == [
        Person,
        AddressChanged,
    ]


def test_transient_failure_is_retried_in_process(bus_factory: Callable[..., Bus]):
    bus = bus_factory()
    recorder = Recorder(failures=[TransientError("register busy")])
    bus.subscribe("register", ["civic.#"], recorder)
    started(bus)
    bus.publish(bus.registry.envelope(address_change(), source="urn:test"))

    wait_for(lambda: len(recorder.deliveries) == 1)
    assert (recorder.calls, recorder.deliveries[0].attempt) == (2, 1)


def test_longer_outage_is_redelivered_through_the_broker_delay_line(
    bus_factory: Callable[..., Bus],
):
    bus = bus_factory()
    # Two in-process attempts fail, so the message waits in the delay line for delivery 2.
    recorder = Recorder(failures=[TimeoutError("slow"), TimeoutError("slow")])
    bus.subscribe("register", ["civic.#"], recorder)
    started(bus)
    envelope = bus.registry.envelope(address_change(), source="urn:test")
    bus.publish(envelope)

    wait_for(lambda: len(recorder.deliveries) == 1, what="the redelivered message")
    delivery = recorder.deliveries[0]
    assert (delivery.envelope.id, delivery.attempt, delivery.redelivered) == (envelope.id, 2, True)


def test_exhausted_retries_dead_letter_the_original_body_with_the_reason(
    bus_factory: Callable[..., Bus],
):
    bus = bus_factory()
    recorder = Recorder(failures=[TransientError("down")] * 6)
    bus.subscribe("register", ["civic.#"], recorder)
    started(bus)
    envelope = bus.registry.envelope(address_change(), source="urn:test")
    bus.publish(envelope)

    wait_for(lambda: recorder.calls == 6, what="three deliveries of two attempts")
    letters = dead_letters(bus, "register")
    letter = letters[0]
    assert (
        letter.body if isinstance(letter.body, bytes) else letter.body.encode(),
        letter.headers[HEADER_REASON],
        letter.headers[HEADER_DELIVERY],
    ) == (envelope.to_json(), "retries_exhausted", 3)


def test_permanent_failure_is_dead_lettered_at_once(bus_factory: Callable[..., Bus]):
    bus = bus_factory()
    recorder = Recorder(failures=[PermanentError("person unknown to the register")])
    bus.subscribe("register", ["civic.#"], recorder)
    started(bus)
    bus.publish(bus.registry.envelope(address_change(), source="urn:test"))

    letters = dead_letters(bus, "register")
    assert (recorder.calls, letters[0].headers[HEADER_REASON]) == (1, "handler_failed")


@pytest.mark.parametrize(
    ("body", "routing_key", "reason"),
    [
        (b"{not json", "civic.person.address-changed", "invalid_envelope"),
        (b"\xff\xfe latin-1 \xe9", "civic.person.address-changed", "invalid_envelope"),
        (b"[1, 2, 3]", "civic.person.address-changed", "invalid_envelope"),
        (
            json.dumps(
                {
                    "specversion": "1.0",
                    "id": "u1",
                    "source": "urn:x",
                    "type": "civic.nope",
                    "data": {},
                }
            ).encode(),
            "civic.nope",
            "unknown_schema",
        ),
        (
            json.dumps(
                {
                    "specversion": "1.0",
                    "id": "w1",
                    "source": "urn:x",
                    "type": "civic.person.address-changed",
                    "dataschema": "urn:civicbus:schema:civic.person.address-changed:9",
                    "data": {},
                }
            ).encode(),
            "civic.person.address-changed",
            "unknown_schema",
        ),
        (
            json.dumps(
                {
                    "specversion": "1.0",
                    "id": "v1",
                    "source": "urn:x",
                    "type": "civic.person.address-changed",
                    "data": {"person_id": "1", "surprise": True},
                }
            ).encode(),
            "civic.person.address-changed",
            "invalid_payload",
        ),
    ],
    ids=[
        "invalid-json",
        "not-utf8",
        "not-an-object",
        "unknown-type",
        "wrong-version",
        "invalid-payload",
    ],
)
def test_poison_message_is_dead_lettered_and_the_flow_goes_on(
    bus_factory: Callable[..., Bus], body: bytes, routing_key: str, reason: str
):
    bus = bus_factory()
    recorder = Recorder()
    bus.subscribe("register", ["civic.#"], recorder)
    started(bus)

    publish_raw(bus, body, routing_key)
    bus.publish(bus.registry.envelope(address_change(), source="urn:test"))

    wait_for(lambda: len(recorder.deliveries) == 1, what="the good message after the poison")
    letters = dead_letters(bus, "register")
    assert [letter.headers[HEADER_REASON] for letter in letters] == [reason]


def test_oversized_message_is_dead_lettered(bus_factory: Callable[..., Bus]):
    bus = bus_factory(max_message_bytes=2048)
    bus.subscribe("register", ["civic.#"], Recorder())
    started(bus)
    publish_raw(bus, b'{"padding": "' + b"x" * 4096 + b'"}', "civic.person.address-changed")

    letters = dead_letters(bus, "register")
    assert letters[0].headers[HEADER_REASON] == "invalid_envelope"


def test_publisher_refuses_invalid_payload_and_publishes_nothing(bus_factory: Callable[..., Bus]):
    bus = bus_factory()
    recorder = Recorder()
    bus.subscribe("register", ["civic.#"], recorder)
    bad = bus.registry.envelope(address_change(), source="urn:test").model_copy(
        update={"data": {"person_id": "1", "address": {"city": "Tartu"}, "effective": "x"}}
    )

    with pytest.raises(InvalidMessage) as refused:
        bus.publish(bad)

    problems = {problem.location for problem in refused.value.problems}
    assert {"data.address.street", "data.effective_date"} <= problems
    assert drain_queue(bus.settings.broker, bus.topology.queue_name("register")) == []


def test_publisher_refuses_oversized_message(bus_factory: Callable[..., Bus]):
    bus = bus_factory(max_message_bytes=512)
    change = address_change().model_copy(update={"reason": "x" * 400})
    with pytest.raises(InvalidMessage, match="over the limit of 512"):
        bus.publish(bus.registry.envelope(change, source="urn:test"))


def test_same_message_delivered_twice_is_handled_once(bus_factory: Callable[..., Bus]):
    bus = bus_factory()
    recorder = Recorder()
    bus.subscribe("register", ["civic.#"], recorder)
    envelope = bus.registry.envelope(address_change(), source="urn:test")
    bus.publish(envelope)
    bus.publish(envelope)  # the broker delivers it twice, as after a publisher retry
    marker = bus.registry.envelope(address_change(city="Narva"), source="urn:test")
    bus.publish(marker)
    started(bus)

    wait_for(lambda: any(d.envelope.id == marker.id for d in recorder.deliveries))
    assert [d.envelope.id for d in recorder.deliveries] == [envelope.id, marker.id]


def test_emitted_event_continues_the_correlation(bus_factory: Callable[..., Bus]):
    bus = bus_factory()
    followers = Recorder()

    def register(delivery: Delivery) -> None:
        person = Person(
            person_id="38001085718",
            given_name="Mari",
            family_name="Tamm",
            birth_date=date(1980, 1, 8),
        )
        delivery.emit(person)

    bus.subscribe("register", ["civic.person.address-changed"], register)
    bus.subscribe("benefits", ["civic.person"], followers)
    started(bus)
    cause = bus.registry.envelope(address_change(), source="urn:test")
    bus.publish(cause)

    wait_for(lambda: len(followers.deliveries) == 1)
    effect: Envelope = followers.deliveries[0].envelope
    assert (effect.correlationid, effect.causationid) == (cause.correlationid, cause.id)


def test_handler_writes_commit_with_the_idempotency_record(bus_factory: Callable[..., Bus]):
    bus = bus_factory()
    engine = sa.create_engine(bus.settings.state)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE handled (message_id TEXT)"))
    recorder = Recorder(failures=[PermanentError("after writing")])

    def write_then_maybe_fail(delivery: Delivery) -> None:
        delivery.transaction.execute(
            sa.text("INSERT INTO handled VALUES (:id)"), {"id": delivery.envelope.id}
        )
        recorder(delivery)

    bus.subscribe("register", ["civic.#"], write_then_maybe_fail)
    started(bus)
    failed = bus.registry.envelope(address_change(), source="urn:test")
    kept = bus.registry.envelope(address_change(city="Narva"), source="urn:test")
    bus.publish(failed, kept)

    wait_for(lambda: len(recorder.deliveries) == 1)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT message_id FROM handled")).scalars().all()
    engine.dispose()
    assert rows == [kept.id]


def test_quorum_queues_carry_the_same_flow(bus_factory: Callable[..., Bus]):
    bus = bus_factory(quorum_queues=True)
    recorder = Recorder(failures=[TimeoutError("slow"), TimeoutError("slow")])
    bus.subscribe("register", ["civic.#"], recorder)
    started(bus)
    envelope = bus.registry.envelope(address_change(), source="urn:test")
    bus.publish(envelope)

    wait_for(lambda: len(recorder.deliveries) == 1, what="the redelivered message")
    assert (recorder.deliveries[0].envelope.id, recorder.deliveries[0].attempt) == (envelope.id, 2)
