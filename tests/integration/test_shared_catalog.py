"""Operations served by one process are listed and called from another that never imported
the adapter: the shared catalog table carries their JSON Schemas, on both transports."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from adapters import AdapterHost
from bus import Bus, CanonicalData, OperationNotFound
from schemas import InvalidMessage
from tests.integration._waiting import wait_for
from tests.integration.test_operations import Register, RegisterAdapter, RegisterConfig

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def register() -> Register:
    return Register()


@pytest.fixture
def worker(bus_factory: Callable[..., Bus], register: Register) -> Iterator[Bus]:
    bus = bus_factory()
    host = AdapterHost(bus, [RegisterAdapter("register", RegisterConfig(timeout=2), register)])
    host.start()
    bus.start()
    assert bus.wait_ready(30)
    yield bus
    host.stop()


@pytest.fixture
def gateway_bus(bus_factory: Callable[..., Bus], worker: Bus) -> Bus:
    """A second Bus on the same broker and state database, with no adapter of its own."""
    return bus_factory()


def test_another_process_lists_the_served_operations_with_schemas(gateway_bus: Bus):
    entries = {entry.name: entry for entry in gateway_bus.catalog.entries()}

    get_record = entries["register.get-record"]
    assert (get_record.idempotent, get_record.request_schema["required"]) == (True, ["record_id"])


def test_a_call_by_catalog_alone_returns_the_reply_data(gateway_bus: Bus):
    assert "register.get-record.request" not in gateway_bus.registry

    reply = gateway_bus.call("register.get-record", {"record_id": "r1"}, timeout=20)

    assert isinstance(reply, CanonicalData)
    assert reply.model_dump() == {"record_id": "r1", "value": "first"}


def test_a_request_breaking_the_stored_schema_is_refused_before_sending(
    gateway_bus: Bus, register: Register
):
    with pytest.raises(InvalidMessage) as refused:
        gateway_bus.call("register.get-record", {"record_id": 7}, timeout=20)

    assert [p.location for p in refused.value.problems] == ["data.record_id"]
    assert register.calls == 0


def test_operations_of_a_stopped_host_go_stale(bus_factory: Callable[..., Bus], worker: Bus):
    reader = bus_factory(catalog={"stale_after": 0.5, "heartbeat_interval": 0.1})
    worker.stop()  # no more heartbeats

    def gone() -> bool:
        try:
            reader.catalog.get("register.get-record")
        except OperationNotFound:
            return True
        return False

    wait_for(gone, timeout=10, what="the stopped host's operations to go stale")
