"""`civicbus gateway`: serve the HTTP gateway in this process, calling adapters that
`civicbus run` processes serve (found through the shared catalog)."""

from __future__ import annotations

from typing import Annotated

import typer

from bus._gateway import Gateway
from bus.cli._app import app, cli_settings
from bus.cli._serving import open_bus, serve_in_foreground


@app.command()
def gateway(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Listen address (gateway.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (gateway.port).")] = None,
) -> None:
    """Serve the HTTP API for new digital services until Ctrl-C or SIGTERM.

    Operations come from the shared catalog that `civicbus run` processes fill, so this
    process imports no adapter. OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

    Example: civicbus gateway --port 8080   (with `civicbus run` in another terminal)
    """
    settings = cli_settings(ctx)
    bus = open_bus(settings)
    served = Gateway(bus)
    serve_in_foreground(
        "gateway",
        bus,
        served,
        host=host or settings.gateway.host,
        port=settings.gateway.port if port is None else port,
        notes=lambda url: [f"openapi  {url}/api/v1/openapi.json", f"docs     {url}/api/v1/docs"],
        before=served.start,
    )
