"""The gateway's HTTP API (FastAPI): the catalog, operation calls, async results, the
data-access log, and the OpenAPI document built from the canonical schemas.

Handlers stay on the event loop only to read bodies and write answers; everything that
blocks (the database, `Bus.call`) runs in the gateway's thread pool.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response

from bus._gateway import _events, _reads
from bus._gateway._access_log import DataAccessLog
from bus._gateway._audit import END_USER_HEADER, PURPOSE_HEADER, Audit, CallRecord
from bus._gateway._auth import Authenticator
from bus._gateway._calls import CallStore
from bus._gateway._clients import ClientStore
from bus._gateway._openapi import openapi_document
from bus._gateway._problems import Problem
from bus._gateway._rate_limit import RateLimiter
from bus._gateway._service import Answer, GatewayService
from bus._gateway._subscriptions import SubscriptionStore
from bus._gateway._webhooks import WebhookDispatcher
from bus._runtime import Bus

T = TypeVar("T")
PREFIX = "/api/v1"


class Gateway:
    """The app and what it owns: stores, thread pool, rate limiter."""

    def __init__(self, bus: Bus, *, client_cache_seconds: float = 2.0) -> None:
        settings = bus.settings.gateway
        self.bus = bus
        self.pool = ThreadPoolExecutor(settings.workers, thread_name_prefix="gateway")
        self.clients = ClientStore(bus.settings.state)
        self.calls = CallStore(bus.settings.state)
        self.access_log = DataAccessLog(bus.settings.state)
        self.subscriptions = SubscriptionStore(bus.settings.state)
        self.webhooks: WebhookDispatcher | None = None
        if settings.webhooks.enabled:
            self.webhooks = WebhookDispatcher(
                bus,
                self.subscriptions,
                self.clients,
                timeout=settings.webhooks.timeout,
                poll_interval=settings.webhooks.poll_interval,
            )
        self.audit = Audit(bus.journal, self.access_log)
        self.service = GatewayService(
            bus,
            Authenticator(self.clients, settings.jwt, cache_seconds=client_cache_seconds),
            RateLimiter(per_minute=settings.rate_limit.per_minute, burst=settings.rate_limit.burst),
            self.calls,
            self.pool,
        )
        self.app = _build_app(self)

    def start(self) -> None:
        """Start delivering webhooks; serving HTTP is the server's job (`GatewayServer`)."""
        if self.webhooks is not None:
            self.webhooks.start()

    def subscriptions_changed(self) -> None:
        """Apply a subscription made or removed here at once, not at the next poll."""
        if self.webhooks is not None:
            self.webhooks.reconcile()

    async def run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.pool, work)

    def close(self) -> None:
        if self.webhooks is not None:
            self.webhooks.close()
        self.pool.shutdown(wait=True, cancel_futures=False)
        for store in (self.clients, self.calls, self.access_log, self.subscriptions):
            store.close()


def _build_app(gateway: Gateway) -> FastAPI:
    app = FastAPI(
        title="civicbus gateway",
        openapi_url=None,  # the document is built from the catalog, below
        docs_url=None,
        redoc_url=None,
    )
    service = gateway.service
    max_body = gateway.bus.settings.gateway.max_body_bytes

    @app.exception_handler(StarletteHTTPException)
    async def _http_problem(request: Request, exc: StarletteHTTPException) -> Response:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "not-found")
        return Problem(slug, f"{request.method} {request.url.path}: {exc.detail}").response(
            request.url.path
        )

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return exc.response(request.url.path)

    async def audited(request: Request, record: CallRecord, work: Callable[[], Answer]) -> Response:
        started = time.perf_counter()
        try:
            answer = await gateway.run(work)
            outcome = "ok" if answer.status < 400 else str(answer.body.get("type"))
        except Problem as problem:
            answer = Answer(problem.status, problem.body(request.url.path), problem.headers)
            outcome = problem.type.uri
        elapsed = (time.perf_counter() - started) * 1000
        await gateway.run(
            lambda: gateway.audit.record(
                record, status=answer.status, outcome=outcome, duration_ms=elapsed
            )
        )
        if answer.status == 204:
            return Response(status_code=204, headers=answer.headers)
        problem_body = answer.status >= 400
        return JSONResponse(
            answer.body,
            status_code=answer.status,
            headers=answer.headers,
            media_type="application/problem+json" if problem_body else "application/json",
        )

    async def audited_with_body(
        request: Request, record: CallRecord, work: Callable[[bytes], Answer]
    ) -> Response:
        raw = await _read_body(request, max_body)

        def checked() -> Answer:
            if isinstance(raw, Problem):
                raise raw
            return work(raw)

        return await audited(request, record, checked)

    def new_record(request: Request, operation: str | None = None) -> CallRecord:
        return CallRecord(
            method=request.method,
            path=request.url.path,
            operation=operation,
            purpose=request.headers.get(PURPOSE_HEADER),
            end_user=request.headers.get(END_USER_HEADER),
        )

    @app.get(PREFIX + "/services")
    async def list_services(request: Request) -> Response:
        record = new_record(request)
        return await audited(
            request, record, lambda: _reads.list_services(service, request.headers, record)
        )

    @app.post(PREFIX + "/services/{adapter}/{operation}")
    async def call_operation(request: Request, adapter: str, operation: str) -> Response:
        name = f"{adapter}.{operation}"
        record = new_record(request, name)
        respond_async = "respond-async" in request.headers.get("prefer", "").lower()
        key = request.headers.get("idempotency-key") or None
        return await audited_with_body(
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
        record = new_record(request)
        return await audited(
            request,
            record,
            lambda: _reads.message_status(
                service, gateway.calls, request.headers, record, message_id
            ),
        )

    @app.get(PREFIX + "/data-access/{person_id}")
    async def data_access(request: Request, person_id: str) -> Response:
        record = new_record(request)
        return await audited(
            request,
            record,
            lambda: _reads.data_access(
                service, gateway.access_log, request.headers, record, person_id
            ),
        )

    @app.post(PREFIX + "/subscriptions")
    async def subscribe(request: Request) -> Response:
        record = new_record(request)
        return await audited_with_body(
            request,
            record,
            lambda body: _events.subscribe(
                service,
                gateway.subscriptions,
                request.headers,
                body,
                record,
                changed=gateway.subscriptions_changed,
            ),
        )

    @app.get(PREFIX + "/subscriptions")
    async def list_subscriptions(request: Request) -> Response:
        record = new_record(request)
        return await audited(
            request,
            record,
            lambda: _events.list_subscriptions(
                service, gateway.subscriptions, request.headers, record
            ),
        )

    @app.delete(PREFIX + "/subscriptions/{subscription_id}")
    async def unsubscribe(request: Request, subscription_id: str) -> Response:
        record = new_record(request)
        return await audited(
            request,
            record,
            lambda: _events.unsubscribe(
                service,
                gateway.subscriptions,
                request.headers,
                record,
                subscription_id,
                changed=gateway.subscriptions_changed,
            ),
        )

    @app.get(PREFIX + "/openapi.json", include_in_schema=False)
    async def openapi(_request: Request) -> Response:
        document = await gateway.run(lambda: openapi_document(gateway.bus))
        return JSONResponse(document)

    @app.get(PREFIX + "/docs", include_in_schema=False)
    async def docs(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=PREFIX + "/openapi.json", title="civicbus API")

    @app.get(PREFIX + "/health", include_in_schema=False)
    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return app


async def _read_body(request: Request, limit: int) -> bytes | Problem:
    """The body, or a 413 problem as soon as it is known to pass `limit` bytes."""
    too_large = Problem(
        "body-too-large",
        f"the body is larger than {limit} bytes (gateway.max_body_bytes); send less",
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return too_large
        chunks.append(chunk)
    return b"".join(chunks)
