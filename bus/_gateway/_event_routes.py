"""The gateway's endpoints for events: webhook subscriptions and the server-sent stream."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from starlette.responses import Response, StreamingResponse

from bus._gateway import _events
from bus._gateway._service import Answer
from bus._gateway._stream import event_stream

if TYPE_CHECKING:
    from bus._gateway._app import Gateway

PREFIX = "/api/v1"


def add_event_routes(app: FastAPI, gateway: Gateway) -> None:
    service, http, store = gateway.service, gateway.http, gateway.subscriptions

    @app.post(PREFIX + "/subscriptions")
    async def subscribe(request: Request) -> Response:
        record = http.record(request)
        return await http.answer_with_body(
            request,
            record,
            lambda body: _events.subscribe(
                service,
                store,
                request.headers,
                body,
                record,
                changed=gateway.subscriptions_changed,
            ),
        )

    @app.get(PREFIX + "/subscriptions")
    async def list_subscriptions(request: Request) -> Response:
        record = http.record(request)
        return await http.answer(
            request,
            record,
            lambda: _events.list_subscriptions(service, store, request.headers, record),
        )

    @app.delete(PREFIX + "/subscriptions/{subscription_id}")
    async def unsubscribe(request: Request, subscription_id: str) -> Response:
        record = http.record(request)
        return await http.answer(
            request,
            record,
            lambda: _events.unsubscribe(
                service,
                store,
                request.headers,
                record,
                subscription_id,
                changed=gateway.subscriptions_changed,
            ),
        )

    @app.get(PREFIX + "/events")
    async def stream_events(request: Request) -> Response:
        record = http.record(request)
        asked = request.query_params.getlist("type")
        types: list[str] = []

        def authorise() -> Answer:
            types.extend(_events.stream_types(service, request.headers, record, asked))
            return Answer(200, None)

        refused = await http.answer(request, record, authorise)
        if refused.status_code != 200:
            return refused
        return StreamingResponse(
            event_stream(gateway.bus, types),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
