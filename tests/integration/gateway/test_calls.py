"""New services call the legacy population register through the gateway: HTTP -> uvicorn ->
gateway -> bus -> SOAP adapter (another Bus) -> spyne SOAP service, and back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bus._gateway._calls import CallStore, request_hash
from examples.legacy.population_register import RunningRegister
from tests.integration._waiting import wait_for
from tests.integration.gateway.conftest import CHANGE_ADDRESS, GET_PERSON, RunningGateway

pytestmark = pytest.mark.timeout(120)

NEW_ADDRESS = {
    "person_id": "020202-0002",
    "street": "Uus 5",
    "postal_code": "10111",
    "city": "Tallinn",
    "country": "EE",
    "effective_date": "2026-01-01",
}


def test_a_call_returns_the_mapped_canonical_reply(gateway: RunningGateway):
    key = gateway.client("portal", ("operation", GET_PERSON))
    with gateway.http(key) as http:
        response = http.post(
            "/api/v1/services/population-register/get-person", json={"person_id": "010101-0001"}
        )

    assert response.status_code == 200, response.text
    assert response.json()["person"]["address"]["city"] == "Helsinki"


def test_the_catalog_lists_only_granted_operations_with_schemas(gateway: RunningGateway):
    key = gateway.client("portal", ("operation", GET_PERSON))
    with gateway.http(key) as http:
        services = http.get("/api/v1/services").json()["services"]

    assert [s["name"] for s in services] == [GET_PERSON]
    assert list(services[0]["request_schema"]["properties"]) == ["person_id"]


def test_a_legacy_fault_is_a_problem_told_apart_from_bus_errors(gateway: RunningGateway):
    key = gateway.client("portal", ("operation", GET_PERSON))
    with gateway.http(key) as http:
        response = http.post(
            "/api/v1/services/population-register/get-person", json={"person_id": "999999-9999"}
        )

    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.status_code, problem["type"], problem["origin"], problem["code"]) == (
        422,
        "urn:civicbus:problem:legacy-rejected",
        "legacy",
        "legacy_fault",
    )


def test_a_call_without_reply_in_time_is_504(
    gateway: RunningGateway, register: RunningRegister, bus_factory
):
    key = gateway.client("portal", ("operation", GET_PERSON))
    register.make_slow(5.0)
    # The adapter times out after 2 s and answers legacy_timeout before the gateway gives up.
    with gateway.http(key) as http:
        response = http.post(
            "/api/v1/services/population-register/get-person", json={"person_id": "010101-0001"}
        )

    assert (response.status_code, response.json()["type"]) == (
        504,
        "urn:civicbus:problem:legacy-timeout",
    )


def test_respond_async_answers_202_and_the_result_waits_at_the_location(
    gateway: RunningGateway,
):
    key = gateway.client("portal", ("operation", GET_PERSON))
    with gateway.http(key) as http:
        accepted = http.post(
            "/api/v1/services/population-register/get-person",
            json={"person_id": "010101-0001"},
            headers={"Prefer": "respond-async"},
        )
        location = accepted.headers["Location"]

        def completed() -> bool:
            return http.get(location).json()["state"] == "completed"

        wait_for(completed, timeout=30, what="the async call to complete")
        status = http.get(location).json()

    assert accepted.status_code == 202
    assert location == f"/api/v1/messages/{accepted.json()['id']}"
    assert (status["status"], status["response"]["person"]["address"]["city"]) == (
        200,
        "Helsinki",
    )


def test_a_retried_call_with_an_idempotency_key_reaches_the_legacy_system_once(
    gateway: RunningGateway, register: RunningRegister
):
    key = gateway.client("portal", ("operation", CHANGE_ADDRESS))
    before = len(register.requests)
    with gateway.http(key, **{"Idempotency-Key": "move-0002"}) as http:
        first = http.post("/api/v1/services/population-register/change-address", json=NEW_ADDRESS)
        retry = http.post("/api/v1/services/population-register/change-address", json=NEW_ADDRESS)

    assert first.status_code == 200, first.text
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert len(register.requests) == before + 1


def test_an_idempotency_key_reused_for_another_request_is_refused(gateway: RunningGateway):
    key = gateway.client("portal", ("operation", CHANGE_ADDRESS))
    with gateway.http(key, **{"Idempotency-Key": "move-0002"}) as http:
        http.post("/api/v1/services/population-register/change-address", json=NEW_ADDRESS)
        other = http.post(
            "/api/v1/services/population-register/change-address",
            json={**NEW_ADDRESS, "city": "Tartu"},
        )

    assert (other.status_code, other.json()["type"]) == (
        422,
        "urn:civicbus:problem:idempotency-key-reused",
    )


def test_a_call_left_pending_by_a_dead_gateway_is_settled_as_a_timeout_not_resent(
    gateway: RunningGateway, register: RunningRegister
):
    key = gateway.client("portal", ("operation", CHANGE_ADDRESS))
    calls = CallStore(gateway.bus.settings.state)
    calls.claim(
        call_id="taken-by-a-dead-gateway",
        client="portal",
        operation=CHANGE_ADDRESS,
        idempotency_key="move-0002",
        hash_=request_hash(CHANGE_ADDRESS, NEW_ADDRESS),
    )
    engine = sa.create_engine(gateway.bus.settings.state)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE gateway_calls SET created_at = :long_ago"),
            {"long_ago": datetime.now(UTC) - timedelta(hours=1)},
        )
    engine.dispose()
    calls.close()
    before = len(register.requests)

    with gateway.http(key, **{"Idempotency-Key": "move-0002"}) as http:
        retried = http.post("/api/v1/services/population-register/change-address", json=NEW_ADDRESS)
        status = http.get("/api/v1/messages/taken-by-a-dead-gateway").json()

    assert (retried.status_code, retried.json()["type"]) == (
        504,
        "urn:civicbus:problem:bus-timeout",
    )
    assert (status["state"], status["status"]) == ("completed", 504)
    assert len(register.requests) == before
