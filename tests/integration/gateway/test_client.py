"""The Python client for new services, sync and async, against the real gateway: calls,
problems as exceptions, retries after 429, and events from the live stream."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bus import (
    AccessDenied,
    AsyncGatewayClient,
    AuthenticationFailed,
    GatewayClient,
    GatewayEvent,
    LegacySystemError,
    RateLimited,
    RequestRejected,
    RetryPolicy,
    UnknownResource,
)
from examples.legacy.population_register import RunningRegister
from tests.integration.gateway.conftest import CHANGE_ADDRESS, GET_PERSON, RunningGateway
from tests.integration.gateway.test_webhooks import ADDRESS_CHANGED, publish_changes

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def gateway_settings() -> dict[str, Any]:
    return {"call_timeout": 10.0, "rate_limit": {"per_minute": 600, "burst": 1}}


def test_a_call_returns_the_canonical_reply(gateway: RunningGateway):
    key = gateway.client("portal", ("operation", GET_PERSON))
    with GatewayClient(gateway.url, api_key=key) as client:
        person = client.call(GET_PERSON, {"person_id": "010101-0001"}, purpose="case 1")

    assert person["person"]["address"]["city"] == "Helsinki"


@pytest.mark.parametrize(
    ("operation", "data", "error"),
    [
        (CHANGE_ADDRESS, {"person_id": "010101-0001"}, AccessDenied),
        (GET_PERSON, {"person_id": "999999-9999"}, LegacySystemError),
        (GET_PERSON, {"person_id": 7}, RequestRejected),
        ("population-register.nothing", {}, UnknownResource),
    ],
    ids=["not-granted", "legacy-fault", "wrong-type", "unknown-operation"],
)
def test_problems_are_raised_as_their_exceptions(
    gateway: RunningGateway, operation: str, data: dict[str, Any], error: type[Exception]
):
    key = gateway.client("portal", ("operation", GET_PERSON))
    with GatewayClient(gateway.url, api_key=key) as client, pytest.raises(error) as raised:
        client.call(operation, data)

    assert raised.value.problem["status"] == raised.value.status  # type: ignore[attr-defined]


def test_a_bad_key_raises_authentication_failed(gateway: RunningGateway):
    with (
        GatewayClient(gateway.url, api_key="cbk_wrong") as client,
        pytest.raises(AuthenticationFailed),
    ):
        client.services()


def test_a_rate_limited_call_is_retried_after_the_wait_and_succeeds(
    gateway: RunningGateway, register: RunningRegister
):
    # burst 1 at 60 a minute: the second call at once gets 429, Retry-After 1.
    key = gateway.client("portal", ("operation", GET_PERSON), rate_per_minute=60)
    before = len(register.requests)
    with GatewayClient(gateway.url, api_key=key, retry=RetryPolicy(attempts=3)) as client:
        first = client.call(GET_PERSON, {"person_id": "010101-0001"})
        second = client.call(GET_PERSON, {"person_id": "010101-0001"})

    assert first == second
    assert len(register.requests) == before + 2


def test_without_retries_the_429_is_raised(gateway: RunningGateway):
    key = gateway.client("portal", ("operation", GET_PERSON), rate_per_minute=1)
    with GatewayClient(gateway.url, api_key=key, retry=RetryPolicy(attempts=1)) as client:
        client.services()
        with pytest.raises(RateLimited) as raised:
            client.services()

    assert raised.value.retry_after is not None
    assert raised.value.retry_after >= 1


def test_the_async_client_calls_and_raises_the_same(gateway: RunningGateway):
    key = gateway.client("portal", ("operation", GET_PERSON))

    async def scenario() -> tuple[Any, type[Exception]]:
        async with AsyncGatewayClient(gateway.url, api_key=key) as client:
            person = await client.call(GET_PERSON, {"person_id": "010101-0001"})
            try:
                await client.call(CHANGE_ADDRESS, {})
            except AccessDenied as denied:
                return person, type(denied)
        raise AssertionError("the ungranted call was not refused")

    person, refused = asyncio.run(scenario())

    assert (person["person"]["address"]["city"], refused) == ("Helsinki", AccessDenied)


def test_events_arrive_through_the_client_stream(gateway: RunningGateway):
    key = gateway.client("portal", ("event", ADDRESS_CHANGED))
    with (
        GatewayClient(gateway.url, api_key=key) as client,
        client.events(ADDRESS_CHANGED) as events,
    ):
        sent = publish_changes(gateway, 2)
        received = [next(events), next(events)]

    assert [(e.id, e.type) for e in received] == [(i, ADDRESS_CHANGED) for i in sent]
    assert received[0].envelope["data"]["address"]["city"] == "Tallinn"


def test_events_arrive_through_the_async_client_stream(gateway: RunningGateway):
    key = gateway.client("portal", ("event", ADDRESS_CHANGED))

    async def scenario() -> tuple[list[str], list[GatewayEvent]]:
        async with (
            AsyncGatewayClient(gateway.url, api_key=key) as client,
            await client.events(ADDRESS_CHANGED) as events,
        ):
            sent = await asyncio.to_thread(publish_changes, gateway, 2)
            return sent, [await anext(events), await anext(events)]

    sent, received = asyncio.run(scenario())

    assert [e.id for e in received] == sent
