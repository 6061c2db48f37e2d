"""A client's live stream of server-sent events carries the granted event types published
while it is open, and refuses types not granted."""

from __future__ import annotations

import json

import pytest

from tests.integration.gateway.conftest import RunningGateway
from tests.integration.gateway.test_webhooks import ADDRESS_CHANGED, publish_changes

pytestmark = pytest.mark.timeout(120)


def test_the_stream_carries_each_event_published_while_open(gateway: RunningGateway):
    key = gateway.client("portal", ("event", ADDRESS_CHANGED))
    events: list[dict[str, str]] = []
    with (
        gateway.http(key) as http,
        http.stream("GET", "/api/v1/events", params={"type": ADDRESS_CHANGED}) as stream,
    ):
        lines = stream.iter_lines()
        assert next(lines) == ": ready"
        sent = publish_changes(gateway, 2)
        frame: dict[str, str] = {}
        for line in lines:
            if not line:
                if frame:
                    events.append(frame)
                    frame = {}
                if len(events) == 2:
                    break
                continue
            if not line.startswith(":"):
                field, _, value = line.partition(": ")
                frame[field] = value

    assert stream.headers["content-type"].startswith("text/event-stream")
    assert [(e["id"], e["event"]) for e in events] == [(i, ADDRESS_CHANGED) for i in sent]
    assert json.loads(events[0]["data"])["data"]["address"]["city"] == "Tallinn"


def test_a_stream_of_types_not_granted_is_forbidden(gateway: RunningGateway):
    key = gateway.client("portal", ("event", "civic.person"))
    with gateway.http(key) as http:
        response = http.get("/api/v1/events", params={"type": ADDRESS_CHANGED})

    assert (response.status_code, response.json()["type"]) == (
        403,
        "urn:civicbus:problem:forbidden",
    )
