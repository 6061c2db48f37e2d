"""A client over its rate limit gets 429 with Retry-After; other clients are not affected."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.gateway.conftest import RunningGateway

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def gateway_settings() -> dict[str, Any]:
    return {"rate_limit": {"per_minute": 600, "burst": 2}}


def test_a_client_past_its_limit_is_told_when_to_come_back(gateway: RunningGateway):
    slow = gateway.client("slow", rate_per_minute=1)
    other = gateway.client("other")
    with gateway.http(slow) as http:
        statuses = [http.get("/api/v1/services").status_code for _ in range(3)]
        limited = http.get("/api/v1/services")
    with gateway.http(other) as http:
        unaffected = http.get("/api/v1/services").status_code

    assert statuses == [200, 200, 429]
    assert limited.json()["type"] == "urn:civicbus:problem:rate-limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert unaffected == 200
