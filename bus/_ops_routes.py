"""/healthz, /readyz and /metrics on a FastAPI app: the gateway's, and the one `civicbus run`
serves for its probes and Prometheus."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.responses import JSONResponse, Response

from bus._health import Readiness


def add_ops_routes(app: FastAPI, readiness: Readiness) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        # Alive means the process answers; what it depends on is /readyz's business.
        return JSONResponse({"status": "alive"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        ready, body = await run_in_threadpool(readiness.report)
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        text = await run_in_threadpool(generate_latest, REGISTRY)
        return Response(text, media_type=CONTENT_TYPE_LATEST)


def ops_app(readiness: Readiness) -> FastAPI:
    app = FastAPI(title="civicbus", openapi_url=None, docs_url=None, redoc_url=None)
    add_ops_routes(app, readiness)
    return app
