"""`civicbus gateway`: serve the HTTP gateway in this process, calling adapters that
`civicbus run` processes serve (found through the shared catalog)."""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from bus._errors import BrokerUnavailable
from bus._gateway import Gateway, GatewayServer
from bus._runtime import Bus
from bus.cli._app import app, cli_settings, fail


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
    try:
        bus = Bus(settings)
    except BrokerUnavailable as exc:
        fail(str(exc), code=1)
    served = Gateway(bus)
    try:
        server = GatewayServer(
            served.app,
            host=host or settings.gateway.host,
            port=settings.gateway.port if port is None else port,
        )
    except OSError as exc:
        served.close()
        bus.close()
        fail(f"cannot listen: {exc}; pick another --port or stop what uses it", code=1)
    typer.secho(f"civicbus gateway on {server.url}", fg=typer.colors.GREEN, bold=True, err=True)
    typer.echo(f"  openapi  {server.url}/api/v1/openapi.json", err=True)
    typer.echo(f"  docs     {server.url}/api/v1/docs", err=True)
    # uvicorn handles SIGTERM/SIGINT while it serves, then raises them again once it has
    # shut down; these handlers take that second raise (so the exit is clean, code 0) and a
    # signal that comes before uvicorn serves (it then stops at once).
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda _signum, _frame: server.request_stop())
    try:
        served.start()
        server.run()
    finally:
        served.close()
        bus.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    typer.secho("civicbus gateway stopped", fg=typer.colors.GREEN, err=True)
