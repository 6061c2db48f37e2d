"""Dead letters for operators, on RabbitMQ and the embedded broker: browsing takes nothing
away; a replay after the cause is fixed is handled once, and replaying it again is refused
with who replayed it; a discard removes it with a reason; both are audited and journaled."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest

from bus import Bus, DeadLetterNotFound, DeadLetters, Delivery, Hop, PermanentError
from schemas import Address, AddressChanged, Envelope
from tests.integration._waiting import wait_for

pytestmark = pytest.mark.timeout(120)


def change(n: int) -> AddressChanged:
    return AddressChanged(
        person_id=f"3800108{n:04d}",
        address=Address(street=f"Pikk {n}", postal_code="10123", city="Tallinn", country="EE"),
        effective_date=date(2026, 12, 1),
    )


def test_replay_after_the_fix_is_handled_once_and_a_second_replay_is_refused(
    bus_factory: Callable[..., Bus],
):
    bus = bus_factory()
    broken = threading.Event()
    broken.set()
    handled: list[str] = []

    def handle(delivery: Delivery) -> None:
        if broken.is_set():
            raise PermanentError("the benefits database refuses this person (fixed later)")
        handled.append(delivery.envelope.id)

    consumer = bus.subscribe("benefits", ["civic.person.address-changed"], handle)
    queue = consumer.queues.dead_letters.name
    bus.start()
    assert bus.wait_ready(30)
    envelopes: list[Envelope] = [
        bus.registry.envelope(change(n), source="test", subject=f"p{n}") for n in range(3)
    ]
    bus.publish(*envelopes)
    dead_letters = DeadLetters(bus)
    try:
        wait_for(lambda: dead_letters.depth(queue) == 3, what="three dead letters")
        browsed = dead_letters.browse(queue)
        browsed_again = dead_letters.browse(queue)
        first, second, third = (e.id for e in envelopes)

        broken.clear()  # the cause is fixed
        replayed = dead_letters.replay(queue, [first], operator="mari", reason="fixed mapping")
        wait_for(lambda: handled == [first], what="the replayed message handled")
        with pytest.raises(DeadLetterNotFound, match="replayed by mari") as refused:
            dead_letters.replay(queue, [first], operator="jaan", reason="again")
        discarded = dead_letters.discard(queue, [second], operator="mari", reason="duplicate")
        remaining = [letter.message_id for letter in dead_letters.browse(queue)]
        audit = [(a.action, a.operator, a.message_id) for a in dead_letters.audit.entries()]
    finally:
        dead_letters.close()

    assert (
        [letter.message_id for letter in browsed],
        [letter.message_id for letter in browsed_again],
        {letter.reason for letter in browsed},
        {letter.original_queue for letter in browsed},
    ) == (
        [first, second, third],
        [first, second, third],
        {"handler_failed"},
        {consumer.queues.work.name},
    )
    assert (replayed, discarded, remaining, handled) == ([first], [second], [third], [first])
    assert audit == [("discard", "mari", second), ("replay", "mari", first)]
    assert "jaan" not in str(refused.value)
    assert bus.journal is not None
    bus.journal.flush()
    record = bus.journal.find(first)
    assert record is not None
    hops = [hop.hop for hop in record.hops]
    assert hops.index(Hop.DEAD_LETTERED) < hops.index(Hop.REPLAYED) < hops.index(Hop.HANDLED)


def test_replay_of_an_id_not_in_the_queue_names_what_to_do(bus_factory: Callable[..., Bus]):
    bus = bus_factory()
    consumer = bus.subscribe("benefits", ["civic.person.address-changed"], lambda _d: None)
    dead_letters = DeadLetters(bus)
    try:
        with pytest.raises(DeadLetterNotFound, match="civicbus dlq list"):
            dead_letters.replay(
                consumer.queues.dead_letters.name, ["nope"], operator="mari", reason="try"
            )
        with pytest.raises(ValueError, match="reason"):
            dead_letters.discard(consumer.queues.dead_letters.name, [], operator="mari", reason=" ")
    finally:
        dead_letters.close()
