"""Bad requests get the right 4xx problem, never reach the legacy system, and are journaled
with client, operation and outcome."""

from __future__ import annotations

from typing import Any

import pytest

from examples.legacy.population_register import RunningRegister
from tests.integration.gateway.conftest import GET_PERSON, RunningGateway

pytestmark = pytest.mark.timeout(120)

PATH = "/api/v1/services/population-register/get-person"


@pytest.fixture
def gateway_settings() -> dict[str, Any]:
    return {"call_timeout": 10.0, "max_body_bytes": 1024}


def journaled(gateway: RunningGateway) -> list[dict[str, Any]]:
    journal = gateway.bus.journal
    assert journal is not None
    journal.flush()
    return [m.envelope["data"] for m in journal.search(type="civicbus.gateway.call")]


@pytest.mark.parametrize(
    ("body", "headers", "status", "slug"),
    [
        (b'{"person_id": ', {"Content-Type": "application/json"}, 400, "invalid-json"),
        (b'{"person_id": 7}', {"Content-Type": "application/json"}, 422, "invalid-request"),
        (b'["010101-0001"]', {"Content-Type": "application/json"}, 422, "invalid-request"),
        (b'{"nobody": "x"}', {"Content-Type": "application/json"}, 422, "invalid-request"),
        (b"person_id=1", {"Content-Type": "text/plain"}, 415, "unsupported-media-type"),
        (b'{"person_id": "' + b"9" * 2000 + b'"}', {}, 413, "body-too-large"),
    ],
    ids=["malformed", "wrong-type", "not-an-object", "unknown-field", "not-json", "oversized"],
)
def test_a_bad_body_is_the_right_problem_and_journaled(
    gateway: RunningGateway,
    register: RunningRegister,
    body: bytes,
    headers: dict[str, str],
    status: int,
    slug: str,
):
    key = gateway.client("portal", ("operation", GET_PERSON))
    before = len(register.requests)
    with gateway.http(key) as http:
        response = http.post(PATH, content=body, headers=headers)

    assert (response.status_code, response.json()["type"]) == (
        status,
        f"urn:civicbus:problem:{slug}",
    )
    assert len(register.requests) == before
    [entry] = journaled(gateway)
    assert (entry["operation"], entry["status"], entry["outcome"]) == (
        GET_PERSON,
        status,
        f"urn:civicbus:problem:{slug}",
    )


def test_a_wrong_type_names_the_field(gateway: RunningGateway):
    key = gateway.client("portal", ("operation", GET_PERSON))
    with gateway.http(key) as http:
        problem = http.post(PATH, json={"person_id": 7}).json()

    assert [p["location"] for p in problem["problems"]] == ["data.person_id"]


def test_an_unknown_operation_is_404_with_a_suggestion(gateway: RunningGateway):
    key = gateway.client("portal", ("operation", GET_PERSON))
    with gateway.http(key) as http:
        response = http.post("/api/v1/services/population-register/get-persn", json={})

    assert (response.status_code, response.json()["type"]) == (
        404,
        "urn:civicbus:problem:unknown-operation",
    )
    assert "did you mean 'population-register.get-person'" in response.json()["detail"]
    assert journaled(gateway)[0]["status"] == 404


def test_an_unknown_path_is_a_problem_too(gateway: RunningGateway):
    with gateway.http() as http:
        response = http.get("/api/v1/nothing-here")

    assert (response.status_code, response.headers["content-type"]) == (
        404,
        "application/problem+json",
    )


def test_an_overlong_idempotency_key_is_refused(gateway: RunningGateway, register: RunningRegister):
    key = gateway.client("portal", ("operation", GET_PERSON))
    before = len(register.requests)
    with gateway.http(key, **{"Idempotency-Key": "k" * 201}) as http:
        response = http.post(PATH, json={"person_id": "010101-0001"})

    assert (response.status_code, response.json()["type"]) == (
        422,
        "urn:civicbus:problem:invalid-request",
    )
    assert len(register.requests) == before
