"""The intake adapter: a call hands a canonical message to the bus as an event and answers
once the broker holds it; the same request sent again is the same event, handled once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from pydantic import BaseModel

from adapters import AdapterConfigError, AdapterHost, CallContext, LegacyUnavailable
from adapters.intake import IntakeAdapter, IntakeConfig
from bus import Bus, Delivery
from schemas import InvalidMessage
from tests.integration._waiting import wait_for

pytestmark = pytest.mark.timeout(120)

EVENT = "civic.person.address-change-requested"


class AddressChangeRequest(BaseModel):
    person_id: str
    city: str


def intake() -> IntakeAdapter:
    config = IntakeConfig(
        channels={
            "submit-address-change": {
                "event_type": EVENT,
                "model": "tests.integration.test_intake:AddressChangeRequest",
            }
        }
    )
    return IntakeAdapter("portal", config)


def test_a_submitted_message_becomes_one_event_even_when_sent_twice(
    bus_factory: Callable[..., Bus],
):
    bus = bus_factory()
    handled: list[tuple[str, str | None, dict[str, object]]] = []
    lock = threading.Lock()

    def keep(delivery: Delivery) -> None:
        with lock:
            handled.append(
                (delivery.envelope.id, delivery.envelope.correlationid, delivery.envelope.data)
            )

    host = AdapterHost(bus, [intake()])
    host.start()
    bus.subscribe("benefits", [EVENT], keep)
    bus.start()
    try:
        assert bus.wait_ready(30)
        request = {"person_id": "38001085718", "city": "Tartu"}
        first = bus.call(
            "portal.submit-address-change",
            request,
            timeout=20,
            request_id="r-1",
            correlationid="case-42",
        )
        again = bus.call(
            "portal.submit-address-change",
            request,
            timeout=20,
            request_id="r-1",
            correlationid="case-42",
        )
        wait_for(lambda: len(handled) >= 1, what="the event handled")
        with pytest.raises(InvalidMessage, match="city"):
            bus.call("portal.submit-address-change", {"person_id": "1"}, timeout=20)
    finally:
        host.stop()
    dumped = first.model_dump()
    assert (dumped["event_type"], dumped["event_id"] == again.model_dump()["event_id"]) == (
        EVENT,
        True,
    )
    assert handled == [(dumped["event_id"], "case-42", request)]


def test_a_model_that_cannot_be_imported_is_a_config_error():
    config = IntakeConfig(
        channels={"submit": {"event_type": EVENT, "model": "nowhere.at_all:Model"}}
    )
    with pytest.raises(AdapterConfigError, match="cannot import"):
        IntakeAdapter("portal", config)


class NoEmitter:
    """The source is never asked to publish in this test."""

    def emit(self, events: object) -> None:
        raise AssertionError("nothing should be published")


def test_a_submission_once_the_intake_stopped_publishing_fails_at_once_and_retryably():
    adapter = intake()
    submit = adapter.operations()[0].invoke
    source = adapter.sources()[0]
    stop = threading.Event()
    publishing = threading.Thread(target=source.run, args=(NoEmitter(), stop))
    publishing.start()
    stop.set()
    publishing.join(10)

    with pytest.raises(LegacyUnavailable, match="stopped publishing") as refused:
        submit(
            AddressChangeRequest(person_id="38001085718", city="Tartu"),
            CallContext(request_id="r-late", correlation_id="c"),
        )

    assert (refused.value.retryable, refused.value.sent) == (True, False)
