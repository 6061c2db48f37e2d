"""Calling legacy operations over the bus (request -> reply), on both transports, through
the AdapterHost with a small in-test adapter kind standing in for a legacy system."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import sqlalchemy as sa
from kombu import Connection, Queue
from pydantic import BaseModel, ConfigDict

from adapters import (
    Adapter,
    AdapterConfig,
    AdapterHost,
    CallContext,
    Health,
    LegacyFault,
    LegacyUnavailable,
    Operation,
)
from bus import Bus, Delivery, OperationFailed, OperationNotFound, OperationTimeout
from bus._journal import Hop
from bus._topology import DEFAULT_EXCHANGE
from bus._wire import Outgoing
from schemas import Address, AddressChanged, InvalidMessage
from tests.integration._waiting import wait_for
from tests.integration.conftest import drain_queue

pytestmark = pytest.mark.timeout(120)

CHANGE = AddressChanged(
    person_id="38001085718",
    address=Address(street="Rüütli 1", postal_code="51007", city="Tartu", country="EE"),
    effective_date=date(2026, 12, 1),
)


class Lookup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record_id: str


class Record(BaseModel):
    record_id: str
    value: str


class Register:
    """The 'legacy system': records, and switches to break it."""

    def __init__(self) -> None:
        self.records = {"r1": "first", "r2": "second"}
        self.down = False
        self.calls = 0
        self.lock = threading.Lock()


class RegisterConfig(AdapterConfig):
    kind: str = "test-register"


class RegisterAdapter(Adapter[RegisterConfig]):
    kind = "test-register"
    config_model = RegisterConfig

    def __init__(self, name: str, config: RegisterConfig, register: Register) -> None:
        super().__init__(name, config)
        self.register = register

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> Health:
        return Health(ok=not self.register.down, detail="down" if self.register.down else "up")

    def operations(self) -> list[Operation]:
        return [
            Operation("get-record", Lookup, Record, self._get, "Read one record.", idempotent=True),
            Operation("put-record", Record, Record, self._put, "Write one record."),
        ]

    def _put(self, request: BaseModel, _context: CallContext) -> BaseModel:
        assert isinstance(request, Record)
        with self.register.lock:
            self.register.calls += 1
            self.register.records[request.record_id] = request.value
        return request

    def _get(self, request: BaseModel, _context: CallContext) -> BaseModel:
        assert isinstance(request, Lookup)
        with self.register.lock:
            self.register.calls += 1
        if self.register.down:
            raise LegacyUnavailable("register refused the connection", sent=False)
        if request.record_id not in self.register.records:
            raise LegacyFault(
                f"no record {request.record_id}",
                fault_code="Client",
                retryable=False,
                detail={"record_id": request.record_id},
            )
        return Record(record_id=request.record_id, value=self.register.records[request.record_id])


@pytest.fixture
def register() -> Register:
    return Register()


@pytest.fixture
def hosted(
    bus_factory: Callable[..., Bus], register: Register
) -> Iterator[tuple[Bus, AdapterHost]]:
    bus = bus_factory()
    config = RegisterConfig(
        timeout=2,
        retry={"attempts": 2, "backoff_initial": 0.01},
        breaker={"failure_threshold": 3, "reset_timeout": 30},
    )
    host = AdapterHost(bus, [RegisterAdapter("register", config, register)])
    host.start()
    bus.start()
    assert bus.wait_ready(30)
    yield bus, host
    host.stop()


def test_call_returns_the_validated_response(hosted: tuple[Bus, AdapterHost]):
    bus, _host = hosted
    assert bus.call("register.get-record", {"record_id": "r1"}, timeout=20) == Record(
        record_id="r1", value="first"
    )


def test_concurrent_callers_each_get_their_own_reply(hosted: tuple[Bus, AdapterHost]):
    bus, _host = hosted
    with ThreadPoolExecutor(8) as pool:
        replies = list(
            pool.map(
                lambda i: bus.call(
                    "register.get-record", {"record_id": f"r{1 + i % 2}"}, timeout=20
                ),
                range(40),
            )
        )
    assert [r.value for r in replies] == ["first", "second"] * 20  # type: ignore[attr-defined]


def test_legacy_fault_comes_back_as_a_structured_error(hosted: tuple[Bus, AdapterHost]):
    bus, _host = hosted
    with pytest.raises(OperationFailed) as failed:
        bus.call("register.get-record", {"record_id": "nobody"}, timeout=20)
    error = failed.value.error
    assert (error.code, error.fault_code, error.retryable, error.detail) == (
        "legacy_fault",
        "Client",
        False,
        {"record_id": "nobody"},
    )


def test_invalid_request_is_refused_before_sending(
    hosted: tuple[Bus, AdapterHost], register: Register
):
    bus, _host = hosted
    with pytest.raises(InvalidMessage, match=r"data\.record_id"):
        bus.call("register.get-record", {"id": "r1"}, timeout=20)
    assert register.calls == 0


def test_unknown_operation_suggests_the_right_name(hosted: tuple[Bus, AdapterHost]):
    bus, _host = hosted
    with pytest.raises(OperationNotFound, match=r"did you mean 'register\.get-record'"):
        bus.call("register.get-recod", {"record_id": "r1"}, timeout=20)


def test_breaker_opens_fails_fast_and_shows_in_status(
    hosted: tuple[Bus, AdapterHost], register: Register
):
    bus, host = hosted
    register.down = True
    for _ in range(3):  # each call tries twice: the third failure in a row opens the circuit
        with pytest.raises(OperationFailed):
            bus.call("register.get-record", {"record_id": "r1"}, timeout=20)
    calls_when_open = register.calls
    with pytest.raises(OperationFailed) as fast:
        bus.call("register.get-record", {"record_id": "r1"}, timeout=20)

    assert fast.value.error.code == "circuit_open"
    assert fast.value.error.retryable
    assert register.calls == calls_when_open  # the legacy system was not touched
    status = host.status()[0]
    assert (status.breaker, status.health.ok) == ("open", False)


def test_call_times_out_when_no_one_serves_the_operation(
    bus_factory: Callable[..., Bus], register: Register
):
    bus = bus_factory()
    host = AdapterHost(bus, [RegisterAdapter("register", RegisterConfig(), register)])
    host.start()  # declares and catalogs, but the bus is never started: nothing serves
    with pytest.raises(OperationTimeout, match="may still act"):
        bus.call("register.get-record", {"record_id": "r1"}, timeout=0.5)


def test_closing_the_bus_ends_the_calls_still_waiting_for_a_reply(
    bus_factory: Callable[..., Bus], register: Register
):
    bus = bus_factory()
    host = AdapterHost(bus, [RegisterAdapter("register", RegisterConfig(), register)])
    host.start()  # declares and catalogs, but the bus is never started: nothing serves
    ended: list[BaseException] = []

    def call() -> None:
        try:
            bus.call("register.get-record", {"record_id": "r1"}, timeout=120)
        except OperationTimeout as exc:
            ended.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    wait_for(lambda: bus._caller is not None and bool(bus._caller._waiting), what="the call")
    bus.close()
    caller.join(60)  # far less than the call's own 120 s: closing, not timing out, ended it

    assert not caller.is_alive()
    assert len(ended) == 1
    assert "the bus stopped before the reply" in str(ended[0])


def test_a_request_taken_after_its_caller_gave_up_is_not_carried_out(
    bus_factory: Callable[..., Bus], register: Register
):
    bus = bus_factory()
    host = AdapterHost(bus, [RegisterAdapter("register", RegisterConfig(), register)])
    host.start()  # the request waits in the queue: nothing serves until the bus starts
    write = {"record_id": "r9", "value": "late"}
    with pytest.raises(OperationTimeout) as timed_out:
        bus.call("register.put-record", write, timeout=0.3, request_id="late-write")
    time.sleep(1.5)  # past the deadline and the clock grace
    bus.start()
    try:
        assert bus.wait_ready(30)
        assert bus.journal is not None
        journal = bus.journal

        def left() -> bool:
            record = journal.find("late-write")
            return record is not None and any(h.hop == Hop.REJECTED for h in record.hops)

        wait_for(left, timeout=60, what="the late request left")
        # A call made in time is carried out by the same server.
        on_time = bus.call(
            "register.put-record", {"record_id": "r8", "value": "on time"}, timeout=20
        )
    finally:
        host.stop()
    record = journal.find("late-write")
    assert record is not None
    rejected = next(h for h in record.hops if h.hop == Hop.REJECTED)
    assert "caller stopped waiting" in (rejected.error or "")
    assert "may still act" in str(timed_out.value)
    assert ("r9" in register.records, register.calls) == (False, 1)
    assert on_time == Record(record_id="r8", value="on time")


def test_a_redelivered_write_is_answered_again_without_applying_it_twice(
    hosted: tuple[Bus, AdapterHost], register: Register
):
    bus, _host = hosted
    request = bus.registry.build(
        "register.put-record.request", {"record_id": "r9", "value": "ninth"}, source="urn:test"
    )
    replies = Queue(
        f"{bus.settings.queue_prefix}.test-replies",
        exchange=DEFAULT_EXCHANGE,
        routing_key=f"{bus.settings.queue_prefix}.test-replies",
    )
    with Connection(bus.settings.broker) as connection:
        replies(connection.channel()).declare()
    delivery = Outgoing(
        body=request.to_json(),
        exchange=bus.topology.operations.name,
        routing_key="register.put-record",
        envelope=request,
        properties={"message_id": request.id, "reply_to": replies.name},
    )
    with bus.publisher() as publisher:
        publisher.send([delivery])
        publisher.send([delivery])  # the same request again, as after a crash before the ack

    answers: list = []
    wait_for(
        lambda: (
            bool(answers.extend(drain_queue(bus.settings.broker, replies.name)))
            or len(answers) >= 2
        ),
        what="both replies",
    )
    bodies = {bytes(a.body) if not isinstance(a.body, str) else a.body.encode() for a in answers}
    with Connection(bus.settings.broker) as connection:
        replies(connection.channel()).delete()
    assert (register.calls, len(answers), len(bodies)) == (1, 2, 1)


def test_a_consumer_may_call_a_write_operation_from_inside_its_transaction(
    hosted: tuple[Bus, AdapterHost], register: Register
):
    """On the default SQLite state database a consumer holds the write lock while its handler
    runs; the write operation it calls keeps its reply before answering. Both must finish."""
    bus, _host = hosted
    replies: list[BaseModel] = []

    def handler(delivery: Delivery) -> None:
        delivery.transaction.execute(sa.text("SELECT 1"))  # the transaction is in use
        replies.append(
            bus.call("register.put-record", {"record_id": "r9", "value": "ninth"}, timeout=20)
        )

    bus.subscribe("writer", ["civic.person.address-changed"], handler)
    bus.publish(bus.registry.envelope(CHANGE, source="urn:test", subject="38001085718"))

    wait_for(lambda: replies, timeout=60, what="the handler's call answered")
    assert replies == [Record(record_id="r9", value="ninth")]
    assert register.records["r9"] == "ninth"
