"""Property-based testing of the published OpenAPI document (schemathesis): requests
generated from it, sent through uvicorn, the bus and the SOAP stand-in, never get a 5xx and
every answer matches the document. Bounded: a few examples per operation, no deadline."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.integration.gateway.conftest import CHANGE_ADDRESS, GET_PERSON, RunningGateway

pytestmark = pytest.mark.timeout(300)

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def broker_url(tmp_path: Path) -> str:
    """One transport is enough here: the other tests already run on both."""
    return f"embedded:///{tmp_path / 'broker.db'}"


@pytest.fixture
def fuzz_key(gateway: RunningGateway) -> str:
    return gateway.client(
        "fuzzer",
        ("operation", GET_PERSON),
        ("operation", CHANGE_ADDRESS),
        ("operation", "population-register.who-is-asking"),
        ("privilege", "data-access-log"),
        rate_per_minute=1_000_000,
    )


def test_no_5xx_and_every_answer_matches_the_document(gateway: RunningGateway, fuzz_key: str):
    document = httpx.get(f"{gateway.url}/api/v1/openapi.json", timeout=30).json()
    # An open event stream never ends by itself; the stream has its own test.
    schema = schemathesis.openapi.from_dict(document).exclude(path="/api/v1/events")
    operations = [result.ok() for result in schema.get_all_operations()]
    checked = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=int(os.environ.get("CIVICBUS_FUZZ_EXAMPLES", "15")),
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=gateway.url, headers={"X-API-Key": fuzz_key}, checks=CHECKS, timeout=30
            )

        check()
        checked.append(operation.label)

    published = {f"{m.upper()} {path}" for path, item in document["paths"].items() for m in item}
    assert set(checked) == published - {"GET /api/v1/events"}
