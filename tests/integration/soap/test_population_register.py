"""The SOAP adapter against a real SOAP server: the spyne population-register stand-in."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from adapters import (
    CallContext,
    CircuitOpen,
    Guard,
    LegacyFault,
    LegacyTimeout,
    LegacyUnavailable,
    Operation,
)
from adapters.soap import SoapAdapter, SoapConfig
from examples.legacy.population_register import RunningRegister, start_population_register

CONTEXT = CallContext(request_id="r-1", correlation_id="c-1")


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text("CANARY-SECRET")
    return secret


@pytest.fixture
def register(canary: Path) -> Iterator[RunningRegister]:
    server, _ = start_population_register(xxe_target=str(canary))
    yield server
    server.stop()


def adapter_for(register: RunningRegister, **config: Any) -> SoapAdapter:
    settings: dict[str, Any] = {"wsdl": f"{register.url}?wsdl", "timeout": 10.0, **config}
    adapter = SoapAdapter("population-register", SoapConfig(**settings))
    adapter.start()
    return adapter


def operation(adapter: SoapAdapter, name: str) -> Operation:
    return next(op for op in adapter.operations() if op.name == name)


def get_person(adapter: SoapAdapter, person_id: str) -> BaseModel:
    op = operation(adapter, "get-person")
    return op.invoke(op.request(person_id=person_id), CONTEXT)


def test_get_person_returns_the_person_model(register: RunningRegister) -> None:
    reply = get_person(adapter_for(register), "010101-0001")

    assert reply.model_dump()["person"]["address"]["city"] == "Helsinki"


def test_change_address_is_accepted(register: RunningRegister) -> None:
    op = operation(adapter_for(register), "change-address")
    request = op.request(
        person_id="020202-0002",
        street="Uus 5",
        postal_code="10111",
        city="Tallinn",
        country="EE",
        effective_date="2026-01-01",
    )

    assert op.invoke(request, CONTEXT).model_dump()["result"]["accepted"] is True


def test_change_address_is_not_idempotent_but_get_person_is(register: RunningRegister) -> None:
    adapter = adapter_for(register)

    assert (
        operation(adapter, "get-person").idempotent,
        operation(adapter, "change-address").idempotent,
    ) == (True, False)


def test_client_fault_is_not_retryable(register: RunningRegister) -> None:
    with pytest.raises(LegacyFault) as raised:
        get_person(adapter_for(register), "no-such-person")

    assert raised.value.retryable is False


def test_server_fault_is_retryable(register: RunningRegister) -> None:
    with pytest.raises(LegacyFault) as raised:
        get_person(adapter_for(register), "server-fault")

    assert raised.value.retryable is True


def test_slow_service_times_out(register: RunningRegister) -> None:
    with pytest.raises(LegacyTimeout):
        get_person(adapter_for(register, timeout=0.3), "slow-2")


def test_http_500_html_is_unavailable_not_a_fault(register: RunningRegister) -> None:
    with pytest.raises(LegacyUnavailable) as raised:
        get_person(adapter_for(register), "http-500")

    assert not isinstance(raised.value, LegacyFault)


def test_malformed_xml_is_unavailable(register: RunningRegister) -> None:
    with pytest.raises(LegacyUnavailable, match="not well-formed XML"):
        get_person(adapter_for(register), "malformed")


def test_xxe_in_a_reply_is_refused_and_never_expanded(register: RunningRegister) -> None:
    with pytest.raises(LegacyUnavailable, match="XXE") as raised:
        get_person(adapter_for(register), "xxe")

    assert "CANARY-SECRET" not in f"{raised.value} {raised.value.detail}"


def test_fault_inside_http_200_is_a_fault(register: RunningRegister) -> None:
    with pytest.raises(LegacyFault, match="inside a 200"):
        get_person(adapter_for(register), "fault-200")


def test_connection_refused_was_never_sent(register: RunningRegister) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    adapter = adapter_for(register, endpoint=f"http://127.0.0.1:{closed_port}/")

    with pytest.raises(LegacyUnavailable) as raised:
        get_person(adapter, "010101-0001")

    assert raised.value.sent is False


@pytest.mark.parametrize("digest", [False, True])
def test_ws_security_username_token_reaches_the_server(
    register: RunningRegister, digest: bool
) -> None:
    adapter = adapter_for(
        register, wsse={"username": "civicbus", "password": "s3cret", "digest": digest}
    )
    get_person(adapter, "010101-0001")

    assert b"<wsse:Username>civicbus</wsse:Username>" in register.requests[-1]


def test_per_call_soap_header_reaches_the_server(register: RunningRegister) -> None:
    op = operation(adapter_for(register), "who-is-asking")
    request = op.request(
        soap_header={
            "XRoadHeader": {
                "client": "EE/GOV/70000310/civicbus",
                "userId": "EE38001085718",
                "id": "msg-1",
            }
        }
    )

    reply = op.invoke(request, CONTEXT)

    assert reply.model_dump()["caller"] == (
        "client=EE/GOV/70000310/civicbus userId=EE38001085718 id=msg-1"
    )


def test_soap12_endpoint_answers_too(register: RunningRegister) -> None:
    adapter = adapter_for(register, wsdl=f"{register.url}soap12?wsdl")

    assert get_person(adapter, "030303-0003").model_dump()["person"]["family_name"] == "Berzina"


def test_health_is_ok_while_the_register_answers(register: RunningRegister) -> None:
    assert adapter_for(register).health().ok is True


def test_guard_opens_the_breaker_on_timeouts_then_fails_fast(register: RunningRegister) -> None:
    adapter = adapter_for(
        register,
        timeout=0.2,
        retry={"attempts": 1},
        breaker={"failure_threshold": 2, "reset_timeout": 30},
    )
    guard = Guard(adapter.name, adapter.config)
    op = operation(adapter, "get-person")
    for _ in range(2):
        with pytest.raises(LegacyTimeout):
            guard.call(op, op.request(person_id="slow-1"), CONTEXT)

    with pytest.raises(CircuitOpen):
        guard.call(op, op.request(person_id="010101-0001"), CONTEXT)
