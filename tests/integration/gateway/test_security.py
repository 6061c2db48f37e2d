"""Deny by default: every client gets exactly the access it was granted; API keys and OAuth2
tokens (verified against a JWKS the test serves on loopback) authenticate, anything else is
401; every call is journaled with its purpose and end user; calls about a person land in
the data-access log that a privileged client can read."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.integration.gateway.conftest import CHANGE_ADDRESS, GET_PERSON, RunningGateway

pytestmark = pytest.mark.timeout(180)

WHO_IS_ASKING = "population-register.who-is-asking"
OPERATIONS = {
    GET_PERSON: {"person_id": "010101-0001"},
    CHANGE_ADDRESS: {
        "person_id": "020202-0002",
        "street": "Uus 5",
        "postal_code": "10111",
        "city": "Tallinn",
        "country": "EE",
        "effective_date": "2026-01-01",
    },
    WHO_IS_ASKING: {},
}
EVENT_TYPES = ["civic.person.address-changed", "civic.person"]
GRANTS: dict[str, set[tuple[str, str]]] = {
    "reader": {("operation", GET_PERSON), ("event", "civic.person")},
    "mover": {
        ("operation", CHANGE_ADDRESS),
        ("operation", WHO_IS_ASKING),
        ("event", "civic.person.address-changed"),
    },
    "auditor": {("privilege", "data-access-log")},
    "nobody": set(),
}
SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwks_url() -> Iterator[str]:
    """A JWKS endpoint on loopback publishing SIGNING_KEY's public half."""
    jwk = json.loads(RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None: ...

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()
    server.server_close()


@pytest.fixture
def gateway_settings(jwks_url: str) -> dict[str, Any]:
    return {
        "call_timeout": 10.0,
        "jwt": {"jwks_url": jwks_url, "audience": "civicbus", "issuer": "https://idp.test"},
    }


def token(client: str, *, expires_in: float = 300, key: Any = SIGNING_KEY, **claims: Any) -> str:
    payload = {
        "client_id": client,
        "aud": "civicbus",
        "iss": "https://idp.test",
        "exp": int(time.time() + expires_in),
        **claims,
    }
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "k1"})


def call(gateway: RunningGateway, key: str, operation: str, **headers: str) -> int:
    adapter, name = operation.split(".")
    with gateway.http(key, **headers) as http:
        response = http.post(f"/api/v1/services/{adapter}/{name}", json=OPERATIONS[operation])
    return response.status_code


def test_every_client_gets_exactly_the_access_granted(gateway: RunningGateway):
    """clients x (operations + event types + the data-access-log privilege)"""
    keys = {name: gateway.client(name, *grants) for name, grants in GRANTS.items()}
    seen: dict[tuple[str, str], bool] = {}
    expected: dict[tuple[str, str], bool] = {}
    for client, key in keys.items():
        for operation in OPERATIONS:
            status = call(gateway, key, operation)
            assert status != 401
            seen[(client, operation)] = status != 403
            expected[(client, operation)] = ("operation", operation) in GRANTS[client]
        with gateway.http(key) as http:
            listed = {s["name"] for s in http.get("/api/v1/services").json()["services"]}
            log_status = http.get("/api/v1/data-access/010101-0001").status_code
            for event_type in EVENT_TYPES:
                subscribed = http.post(
                    "/api/v1/subscriptions",
                    json={"event_type": event_type, "url": "http://127.0.0.1:9/hooks"},
                )
                seen[(client, event_type)] = subscribed.status_code == 201
                expected[(client, event_type)] = ("event", event_type) in GRANTS[client]
        assert listed == {name for kind, name in GRANTS[client] if kind == "operation"}
        seen[(client, "data-access-log")] = log_status == 200
        expected[(client, "data-access-log")] = ("privilege", "data-access-log") in GRANTS[client]

    assert seen == expected


def test_a_revoked_grant_is_denied_again(gateway: RunningGateway):
    key = gateway.client("reader", ("operation", GET_PERSON))
    assert call(gateway, key, GET_PERSON) == 200

    gateway.clients.revoke("reader", "operation", GET_PERSON)

    assert call(gateway, key, GET_PERSON) == 403


def test_a_token_from_the_identity_provider_authenticates_its_client(gateway: RunningGateway):
    gateway.client("reader", ("operation", GET_PERSON))

    status = call(gateway, "", GET_PERSON, Authorization=f"Bearer {token('reader')}")

    assert status == 200


@pytest.mark.parametrize(
    "credentials",
    [
        {"X-API-Key": "cbk_not-a-key"},
        {},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": f"Bearer {token('reader', expires_in=-120)}"},
        {"Authorization": f"Bearer {token('reader', key=rsa.generate_private_key(65537, 2048))}"},
        {"Authorization": f"Bearer {token('reader', aud='someone-else')}"},
        {"Authorization": f"Bearer {token('stranger')}"},
        {"Authorization": "Bearer " + jwt.encode({"client_id": "reader"}, None, "none")},
    ],
    ids=[
        "unknown-key",
        "none",
        "garbage",
        "expired",
        "forged",
        "wrong-audience",
        "unknown-client",
        "unsigned",
    ],
)
def test_bad_credentials_are_401_and_journaled(
    gateway: RunningGateway, credentials: dict[str, str]
):
    gateway.client("reader", ("operation", GET_PERSON))
    with gateway.http(**credentials) as http:
        response = http.post(
            "/api/v1/services/population-register/get-person", json=OPERATIONS[GET_PERSON]
        )

    assert (response.status_code, response.json()["type"]) == (
        401,
        "urn:civicbus:problem:unauthenticated",
    )
    assert "WWW-Authenticate" in response.headers
    journal = gateway.bus.journal
    assert journal is not None
    journal.flush()
    [entry] = journal.search(type="civicbus.gateway.call")
    assert (entry.envelope["data"]["status"], entry.envelope["data"]["client"]) == (401, None)


def test_calls_about_a_person_are_shown_in_the_data_access_log(gateway: RunningGateway):
    reader = gateway.client("reader", ("operation", GET_PERSON))
    auditor = gateway.client("auditor", ("privilege", "data-access-log"))
    headers = {"X-Purpose": "benefit application 42", "X-End-User": "official-7"}
    assert call(gateway, reader, GET_PERSON, **headers) == 200

    with gateway.http(auditor) as http:
        log = http.get("/api/v1/data-access/010101-0001").json()
        other = http.get("/api/v1/data-access/020202-0002").json()

    [access] = log["accesses"]
    assert (access["client"], access["operation"], access["purpose"], access["end_user"]) == (
        "reader",
        GET_PERSON,
        "benefit application 42",
        "official-7",
    )
    assert other["accesses"] == []


def test_every_call_is_journaled_with_purpose_end_user_and_the_person_as_subject(
    gateway: RunningGateway,
):
    reader = gateway.client("reader", ("operation", GET_PERSON))
    call(gateway, reader, GET_PERSON, **{"X-Purpose": "case 9", "X-End-User": "official-7"})
    journal = gateway.bus.journal
    assert journal is not None
    journal.flush()

    [entry] = journal.search(type="civicbus.gateway.call", subject="010101-0001")

    data = entry.envelope["data"]
    assert (data["client"], data["operation"], data["outcome"], data["purpose"]) == (
        "reader",
        GET_PERSON,
        "ok",
        "case 9",
    )
    assert data["end_user"] == "official-7"


def test_an_answer_replayed_for_an_idempotency_key_is_an_access_too(gateway: RunningGateway):
    reader = gateway.client("reader", ("operation", GET_PERSON))
    auditor = gateway.client("auditor", ("privilege", "data-access-log"))
    for _ in range(2):
        assert call(gateway, reader, GET_PERSON, **{"Idempotency-Key": "same"}) == 200

    with gateway.http(auditor) as http:
        accesses = http.get("/api/v1/data-access/010101-0001").json()["accesses"]

    assert len(accesses) == 2
    assert accesses[0]["request_id"] == accesses[1]["request_id"]
