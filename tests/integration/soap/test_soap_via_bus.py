"""A new service calls the legacy population register over the bus: request envelope on the
broker, the SOAP adapter calls the real spyne service, the reply comes back — and when the
service hangs, the circuit opens, calls fail fast, and it closes again once it recovers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from adapters import AdapterHost
from adapters.soap import SoapAdapter, SoapConfig
from bus import Bus, OperationFailed
from examples.legacy.population_register import RunningRegister, start_population_register
from tests.integration._waiting import wait_for

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def register() -> Iterator[RunningRegister]:
    server, _url = start_population_register()
    yield server
    server.stop()


@pytest.fixture
def hosted(
    bus_factory: Callable[..., Bus], register: RunningRegister
) -> Iterator[tuple[Bus, AdapterHost]]:
    bus = bus_factory()
    config = SoapConfig(
        wsdl=f"{register.url}?wsdl",
        timeout=0.5,
        retry={"attempts": 1},
        breaker={"failure_threshold": 2, "reset_timeout": 1.0},
    )
    host = AdapterHost(bus, [SoapAdapter("population-register", config)])
    host.start()
    bus.start()
    assert bus.wait_ready(30)
    yield bus, host
    host.stop()


def test_get_person_through_the_bus(hosted: tuple[Bus, AdapterHost]):
    bus, _host = hosted
    reply = bus.call("population-register.get-person", {"person_id": "010101-0001"}, timeout=20)
    assert reply.model_dump()["person"]["address"]["city"] == "Helsinki"


def test_client_fault_comes_back_structured_and_unretried(
    hosted: tuple[Bus, AdapterHost], register: RunningRegister
):
    bus, _host = hosted
    before = len(register.requests)
    with pytest.raises(OperationFailed) as failed:
        bus.call("population-register.get-person", {"person_id": "999999-9999"}, timeout=20)
    error = failed.value.error
    assert (error.code, error.retryable, error.fault_code is not None) == (
        "legacy_fault",
        False,
        True,
    )
    assert len(register.requests) == before + 1


def test_hanging_service_opens_the_circuit_which_recovers(
    hosted: tuple[Bus, AdapterHost], register: RunningRegister
):
    bus, host = hosted
    codes = []
    for _ in range(2):  # two timeouts in a row: the threshold
        with pytest.raises(OperationFailed) as failed:
            bus.call("population-register.get-person", {"person_id": "slow-2"}, timeout=20)
        codes.append(failed.value.error.code)
    reached = len(register.requests)
    with pytest.raises(OperationFailed) as fast:
        bus.call("population-register.get-person", {"person_id": "010101-0001"}, timeout=20)
    assert codes == ["legacy_timeout", "legacy_timeout"]
    assert (fast.value.error.code, len(register.requests)) == ("circuit_open", reached)
    assert host.status()[0].breaker == "open"

    time.sleep(1.0)  # the breaker's reset_timeout: the next call is the half-open probe

    def probe_succeeds() -> bool:
        try:
            bus.call("population-register.get-person", {"person_id": "010101-0001"}, timeout=20)
        except OperationFailed:
            return False
        return True

    wait_for(probe_succeeds, timeout=30, what="the probe after the reset timeout")
    assert host.status()[0].breaker == "closed"
