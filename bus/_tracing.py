"""Optional OpenTelemetry spans, parented by the W3C trace context every envelope carries.

Off unless OpenTelemetry is installed (`pip install civicbus[otel]`) and enabled by its own
standard variables — `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_TRACES_EXPORTER` (`OTEL_SDK_DISABLED`
turns it off again) — or by `enable_tracing(exporter)` in code and tests. When off, a span is
one global check, so the hot path pays nothing for the option.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_tracer: Any = None
_propagator: Any = None


def enable_tracing(exporter: Any | None = None) -> bool:
    """Start exporting spans: to `exporter` (a SpanExporter; batched), or else to OTLP as the
    standard OTEL_* variables configure it. False when OpenTelemetry is not installed."""
    global _tracer, _propagator  # noqa: PLW0603 — one tracer for the process
    try:
        from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
        from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
        from opentelemetry.sdk.trace.export import (  # noqa: PLC0415
            BatchSpanProcessor,
            SimpleSpanProcessor,
        )
        from opentelemetry.trace.propagation.tracecontext import (  # noqa: PLC0415
            TraceContextTextMapPropagator,
        )
    except ImportError:
        return False
    service = os.environ.get("OTEL_SERVICE_NAME", "civicbus")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
                OTLPSpanExporter,
            )
        except ImportError:
            return False
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _tracer = provider.get_tracer("civicbus")
    _propagator = TraceContextTextMapPropagator()
    return True


def enable_tracing_from_environment() -> bool:
    """Enable tracing when the standard OpenTelemetry variables ask for it."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    wanted = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_TRACES_EXPORTER", ""
    ) not in ("", "none")
    return enable_tracing() if wanted else False


def disable_tracing() -> None:
    global _tracer, _propagator  # noqa: PLW0603
    _tracer = _propagator = None


@contextmanager
def span(
    name: str, traceparent: str | None, kind: str = "internal", **attributes: Any
) -> Iterator[str | None]:
    """A span named `name`, child of `traceparent` (the envelope's), when tracing is on.
    Yields the traceparent that messages made inside it should carry (this span's), or None
    when tracing is off."""
    if _tracer is None:
        yield None
        return
    from opentelemetry.trace import SpanKind  # noqa: PLC0415

    parent = _propagator.extract({"traceparent": traceparent}) if traceparent else None
    span_kind = {
        "consumer": SpanKind.CONSUMER,
        "server": SpanKind.SERVER,
        "client": SpanKind.CLIENT,
    }.get(kind, SpanKind.INTERNAL)
    with _tracer.start_as_current_span(name, context=parent, kind=span_kind, attributes=attributes):
        carrier: dict[str, str] = {}
        _propagator.inject(carrier)
        yield carrier.get("traceparent")
