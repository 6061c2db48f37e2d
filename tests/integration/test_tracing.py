"""OpenTelemetry spans when tracing is on: a call is a client span in the caller's trace, the
adapter's handling a server span under it, a consumer's handling a span in the event's trace."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from bus import Bus, OperationEntry, ServedOperation
from bus._tracing import disable_tracing, enable_tracing
from schemas import Envelope

pytestmark = pytest.mark.timeout(120)

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE}-00f067aa0ba902b7-01"


class Echo(BaseModel):
    text: str


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    assert enable_tracing(exporter)
    yield exporter
    disable_tracing()


def test_a_call_is_a_client_span_with_the_adapters_server_span_under_it(
    bus_factory: Callable[..., Bus], spans: InMemorySpanExporter
):
    bus = bus_factory()
    for suffix in ("request", "response"):
        bus.registry.register(Echo, type=f"echo.say.{suffix}", version=1)

    def say(request: BaseModel, _envelope: Envelope) -> BaseModel:
        return request

    bus.serve("echo", [ServedOperation(OperationEntry("echo", "say", "", True), say)])
    bus.start()
    assert bus.wait_ready(30)
    reply = bus.call("echo.say", {"text": "hi"}, timeout=20, traceparent=PARENT)
    finished = {span.name: span for span in spans.get_finished_spans()}
    client, server = finished["call echo.say"], finished["operation echo.say"]
    assert (
        reply.model_dump(),
        format(client.context.trace_id, "032x"),
        format(client.parent.span_id, "016x"),
        server.parent.span_id == client.context.span_id,
        server.context.trace_id == client.context.trace_id,
    ) == ({"text": "hi"}, TRACE, "00f067aa0ba902b7", True, True)
