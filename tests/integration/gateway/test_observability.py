"""W3C trace context from a new service through the gateway and the bus to the adapter, and
the gateway's own probes and metrics."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from schemas import trace_id
from tests.integration._waiting import wait_for
from tests.integration.gateway.conftest import GET_PERSON, RunningGateway

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_the_callers_trace_reaches_the_adapter_as_a_child_span(gateway: RunningGateway):
    key = gateway.client("portal", ("operation", GET_PERSON))
    parent = f"00-{TRACE}-00f067aa0ba902b7-01"
    with gateway.http(key, traceparent=parent) as http:
        response = http.post(
            "/api/v1/services/population-register/get-person", json={"person_id": "010101-0001"}
        )
    assert response.status_code == 200, response.text
    journal = gateway.worker.journal
    assert journal is not None

    def request_journaled() -> bool:
        journal.flush()
        return bool(journal.search(type=f"{GET_PERSON}.request"))

    wait_for(request_journaled, what="the request in the worker's journal")
    [request] = journal.search(type=f"{GET_PERSON}.request")
    traceparent = request.envelope["traceparent"]
    assert (trace_id(traceparent), traceparent != parent) == (TRACE, True)


def test_the_gateway_serves_probes_and_metrics(gateway: RunningGateway):
    with gateway.http() as http:
        alive, ready, metrics = http.get("/healthz"), http.get("/readyz"), http.get("/metrics")
    names = {family.name for family in text_string_to_metric_families(metrics.text)}
    assert (alive.status_code, ready.status_code, ready.json()["status"]) == (200, 200, "ready"), (
        ready.text
    )
    assert "civicbus_messages_published" in names
