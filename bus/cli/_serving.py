"""Serving an HTTP application over a bus: in the foreground until Ctrl-C or SIGTERM (`civicbus
gateway`, `civicbus console`), or from a thread of `civicbus run`."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterable
from typing import Protocol

import typer
from fastapi import FastAPI

from bus._errors import BrokerUnavailable
from bus._gateway import GatewayServer
from bus._runtime import Bus
from bus._settings import Settings
from bus.cli._app import fail


class Served(Protocol):
    """An application over a bus: its routes, and what it holds open."""

    app: FastAPI

    def close(self) -> None: ...


def open_bus(settings: Settings) -> Bus:
    """The bus of a serving process; an unreachable broker ends the command (exit 1)."""
    try:
        return Bus(settings)
    except BrokerUnavailable as exc:
        fail(str(exc), code=1)


def listen_in_background(
    name: str,
    bus: Bus,
    served: Served,
    *,
    host: str,
    port: int,
    before: Callable[[], None] = lambda: None,
) -> GatewayServer:
    """Serve `served.app` on host:port from a thread of this process (`civicbus run`); a port
    that cannot be had closes `served` and `bus` and ends the command (exit 1)."""
    try:
        server = GatewayServer(served.app, host=host, port=port)
        before()
        server.start()
    except (OSError, RuntimeError) as exc:
        served.close()
        bus.close()
        fail(f"the {name} cannot listen: {exc}; change {name}.port or stop what uses it", code=1)
    return server


def serve_in_foreground(  # each is one thing the two commands differ in
    name: str,
    bus: Bus,
    served: Served,
    *,
    host: str,
    port: int,
    notes: Callable[[str], Iterable[str]] = lambda _url: (),
    before: Callable[[], None] = lambda: None,
) -> None:
    """Listen on host:port and serve `served.app` until Ctrl-C or SIGTERM; then close `served`
    and `bus`. `notes(url)` are printed under the banner, `before` runs once listening."""
    try:
        server = GatewayServer(served.app, host=host, port=port)
    except OSError as exc:
        served.close()
        bus.close()
        fail(f"cannot listen: {exc}; pick another --port or stop what uses it", code=1)
    typer.secho(f"civicbus {name} on {server.url}", fg=typer.colors.GREEN, bold=True, err=True)
    for note in notes(server.url):
        typer.echo(f"  {note}", err=True)
    # uvicorn handles SIGTERM/SIGINT while it serves, then raises them again once it has
    # shut down; these handlers take that second raise (so the exit is clean, code 0) and a
    # signal that comes before uvicorn serves (it then stops at once).
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda _signum, _frame: server.request_stop())
    try:
        before()
        server.run()
    finally:
        served.close()
        bus.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    typer.secho(f"civicbus {name} stopped", fg=typer.colors.GREEN, err=True)
