"""Per-client daily quotas: past its quota a client gets 429 with the problem type and when
the quota renews, and the legacy system is not called."""

from __future__ import annotations

from examples.legacy.population_register import RunningRegister
from tests.integration.gateway.conftest import GET_PERSON, RunningGateway

PATH = "/api/v1/services/population-register/get-person"


def test_past_its_daily_quota_a_client_is_refused_until_midnight_utc(
    gateway: RunningGateway, register: RunningRegister
):
    key = gateway.client("portal", ("operation", GET_PERSON), calls_per_day=2)
    other = gateway.client("other", ("operation", GET_PERSON))
    with gateway.http(key) as http, gateway.http(other) as second:
        before = len(register.requests)
        answers = [http.post(PATH, json={"person_id": "010101-0001"}) for _ in range(3)]
        reached_legacy = len(register.requests) - before
        unaffected = second.post(PATH, json={"person_id": "010101-0001"})
    refused = answers[2]
    assert ([a.status_code for a in answers], reached_legacy, unaffected.status_code) == (
        [200, 200, 429],
        2,
        200,
    )
    assert refused.json()["type"] == "urn:civicbus:problem:quota-exceeded"
    assert 0 < int(refused.headers["Retry-After"]) <= 86_400
