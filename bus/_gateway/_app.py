"""The gateway: its FastAPI app and everything the app owns — the stores, the thread pool,
the rate limiter, the webhook dispatcher.

Handlers stay on the event loop only to read bodies and write answers; everything that
blocks (the database, `Bus.call`) runs in the gateway's thread pool.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import structlog
from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from bus._gateway._access_log import DataAccessLog
from bus._gateway._audit import Audit
from bus._gateway._auth import Authenticator
from bus._gateway._call_routes import add_call_routes
from bus._gateway._calls import CallStore
from bus._gateway._clients import ClientStore
from bus._gateway._event_routes import add_event_routes
from bus._gateway._http import Responder
from bus._gateway._problems import Problem
from bus._gateway._quota import QuotaStore
from bus._gateway._rate_limit import RateLimiter
from bus._gateway._service import GatewayService
from bus._gateway._subscriptions import SubscriptionStore
from bus._gateway._webhooks import WebhookDispatcher
from bus._health import bus_readiness
from bus._ops_routes import add_ops_routes
from bus._runtime import Bus

log = structlog.get_logger("civicbus.gateway")

_HOUSEKEEPING_SECONDS = 3600.0


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
        self.quotas = QuotaStore(bus.settings.state)
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
            quotas=self.quotas,
        )
        self._stop = threading.Event()
        self._housekeeping = threading.Thread(
            target=self._keep_house, name="gateway-housekeeping", daemon=True
        )
        self.http = Responder(self.pool, self.audit, max_body=settings.max_body_bytes)
        self.readiness = bus_readiness(bus)
        self.app = _build_app(self)

    def start(self) -> None:
        """Start delivering webhooks and the housekeeping; serving HTTP is the server's job
        (`GatewayServer`)."""
        if self.webhooks is not None:
            self.webhooks.start()
        self._housekeeping.start()

    def _keep_house(self) -> None:
        # Kept answers only need to outlive the clients' retries; without a bound the table
        # would grow by one row per keyed or async call forever.
        retention = timedelta(days=self.bus.settings.gateway.call_retention_days)
        while True:
            try:
                removed = self.calls.purge(older_than=retention)
            except Exception as exc:
                log.warning("gateway_calls_purge_failed", error=str(exc))
            else:
                if removed:
                    log.info("gateway_calls_purged", removed=removed)
            if self._stop.wait(_HOUSEKEEPING_SECONDS):
                return

    def subscriptions_changed(self) -> None:
        """Apply a subscription made or removed here at once, not at the next poll."""
        if self.webhooks is not None:
            self.webhooks.reconcile()

    def close(self) -> None:
        self._stop.set()
        if self._housekeeping.is_alive():
            self._housekeeping.join(30)
        if self.webhooks is not None:
            self.webhooks.close()
        self.pool.shutdown(wait=True, cancel_futures=False)
        self.readiness.close()
        for store in (self.clients, self.calls, self.access_log, self.subscriptions, self.quotas):
            store.close()


def _build_app(gateway: Gateway) -> FastAPI:
    app = FastAPI(
        title="civicbus gateway",
        openapi_url=None,  # the document is built from the catalog: see _openapi
        docs_url=None,
        redoc_url=None,
    )

    @app.exception_handler(StarletteHTTPException)
    async def _http_problem(request: Request, exc: StarletteHTTPException) -> Response:
        slug = {405: "method-not-allowed"}.get(exc.status_code, "not-found")
        return Problem(slug, f"{request.method} {request.url.path}: {exc.detail}").response(
            request.url.path
        )

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return exc.response(request.url.path)

    add_call_routes(app, gateway)
    add_event_routes(app, gateway)
    add_ops_routes(app, gateway.readiness)
    return app
