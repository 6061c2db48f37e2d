"""The gateway's endpoints for operations: the catalog a client may use, calls, the state
of async calls, the data-access log, and the OpenAPI document with its docs page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse, JSONResponse, Response

from bus._gateway import _reads
from bus._gateway._openapi import openapi_document

if TYPE_CHECKING:
    from bus._gateway._app import Gateway

PREFIX = "/api/v1"


def add_call_routes(app: FastAPI, gateway: Gateway) -> None:
    service, http = gateway.service, gateway.http

    @app.get(PREFIX + "/services")
    async def list_services(request: Request) -> Response:
        record = http.record(request)
        return await http.answer(
            request, record, lambda: _reads.list_services(service, request.headers, record)
        )

    @app.post(PREFIX + "/services/{adapter}/{operation}")
    async def call_operation(request: Request, adapter: str, operation: str) -> Response:
        name = f"{adapter}.{operation}"
        record = http.record(request, name)
        respond_async = "respond-async" in request.headers.get("prefer", "").lower()
        key = request.headers.get("idempotency-key") or None
        return await http.answer_with_body(
            request,
            record,
            lambda body: service.call(
                request.headers,
                name,
                body,
                record,
                respond_async=respond_async,
                idempotency_key=key,
            ),
        )

    @app.get(PREFIX + "/messages/{message_id}")
    async def get_message(request: Request, message_id: str) -> Response:
        record = http.record(request)
        return await http.answer(
            request,
            record,
            lambda: _reads.message_status(
                service, gateway.calls, request.headers, record, message_id
            ),
        )

    @app.get(PREFIX + "/data-access/{person_id}")
    async def data_access(request: Request, person_id: str) -> Response:
        record = http.record(request)
        return await http.answer(
            request,
            record,
            lambda: _reads.data_access(
                service, gateway.access_log, request.headers, record, person_id
            ),
        )

    @app.get(PREFIX + "/openapi.json", include_in_schema=False)
    async def openapi(_request: Request) -> Response:
        return JSONResponse(await http.run(lambda: openapi_document(gateway.bus)))

    @app.get(PREFIX + "/docs", include_in_schema=False)
    async def docs(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=PREFIX + "/openapi.json", title="civicbus API")

    @app.get(PREFIX + "/health", include_in_schema=False)
    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})
