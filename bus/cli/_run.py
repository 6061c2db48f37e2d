"""`civicbus run`: start the bus and its consumers in this process until Ctrl-C or SIGTERM."""

from __future__ import annotations

import importlib
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Protocol

import structlog
import typer

from adapters import AdapterConfigError, AdapterHost, UnknownAdapterKind
from bus._console import Console
from bus._errors import BrokerUnavailable
from bus._gateway import Gateway, GatewayServer
from bus._health import Readiness, bus_readiness
from bus._ops_routes import ops_app
from bus._runtime import Bus
from bus._settings import Settings
from bus.cli._app import app, cli_settings, fail
from bus.cli._serving import listen_in_background
from routes import (
    OperationTypes,
    Route,
    RouteFileError,
    RouteHost,
    RouteReloader,
    World,
    checked_routes,
)

log = structlog.get_logger("civicbus.run")


class DemoHooks(Protocol):
    """What `--demo` adds to a run (examples/demo: the civic demo)."""

    def prepare(self, settings: Settings) -> Settings: ...
    def started(self, bus: Bus, gateway_url: str, console_url: str | None) -> None: ...
    def stop(self) -> None: ...


@app.command()
def run(
    ctx: typer.Context,
    demo: Annotated[
        bool,
        typer.Option(
            help="Run the civic demo: a SOAP population register, a benefits database and a "
            "tax office's batch folders, connected by routes, with the gateway, the console "
            "and a scripted citizen portal. Needs a civicbus source checkout."
        ),
    ] = False,
    demo_interval: Annotated[
        float, typer.Option(help="Seconds between the demo portal's requests.")
    ] = 2.0,
    reload: Annotated[
        bool,
        typer.Option(
            help="Reload route files when they change (development). A change that does not "
            "load or check is refused and the running routes go on."
        ),
    ] = False,
) -> None:
    """Run the bus: declare the broker topology, migrate the journal, consume until stopped.

    With no configuration it runs on the embedded broker under ./.civicbus/ — no server needed,
    and a kill -9 loses no accepted message. Ctrl-C (or SIGTERM) finishes the message in hand,
    acknowledges it and exits.

    Routes named by the `routes:` setting are loaded and checked first; a route file with a
    problem stops the start, with every problem listed.

    Example: civicbus run --demo        (then open the console URL it prints)
    """
    settings = cli_settings(ctx)
    civic_demo = _civic_demo(demo_interval) if demo else None
    try:
        if civic_demo is not None:
            settings = civic_demo.prepare(settings)
        _run(settings, reload=reload, demo=civic_demo)
    finally:
        if civic_demo is not None:
            civic_demo.stop()
    typer.secho("civicbus stopped cleanly", fg=typer.colors.GREEN, err=True)


def _run(settings: Settings, *, reload: bool, demo: DemoHooks | None) -> None:
    bus = Bus(settings)
    # Until run_until_stopped installs its own handlers, a stop request (an orchestrator's
    # SIGTERM while the servers start) is remembered instead of killing the process.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _signum, _frame: bus.stop())
    host, reloader = _start_adapters_and_routes(bus)
    typer.secho("civicbus is running", fg=typer.colors.GREEN, bold=True, err=True)
    typer.echo(f"  broker   {_safe(settings.broker)}", err=True)
    typer.echo(f"  journal  {_safe(settings.journal_url)}", err=True)
    typer.echo("  watch    civicbus tail          (in another terminal)", err=True)
    typer.echo("  stop     Ctrl-C", err=True)
    for entry in bus.catalog.entries():
        typer.echo(f"  offers   {entry.name}", err=True)
    if reload and reloader is not None:
        reloader.start(bus.stopping)
        typer.echo("  reload   route files are watched for changes", err=True)
    gateway = _start_gateway(bus)
    readiness, probes = _start_probes(bus, host)
    console = _start_console(bus, host, readiness)
    try:
        if demo is not None and gateway is not None:
            console_url = f"{console[1].url}/" if console is not None else None
            demo.started(bus, gateway[1].url, console_url)
        bus.run_until_stopped(draining=readiness.draining, drain_seconds=settings.ops.drain_seconds)
    finally:
        if demo is not None:
            demo.stop()  # the portal and the legacy jobs end before the servers they use
        for started in (gateway, console):
            if started is not None:
                started[1].stop()
                started[0].close()
        if probes is not None:
            probes.stop()
        readiness.close()
        host.stop()


def _start_adapters_and_routes(bus: Bus) -> tuple[AdapterHost, RouteReloader | None]:
    """Start the configured adapters, then load, check and start the routes; a problem with
    either closes the bus and ends the command (exit 1) with what is wrong."""
    host: AdapterHost | None = None
    try:
        host = AdapterHost.from_settings(bus)
        host.start()
        if not bus.settings.routes:
            return host, None
        routes, reloader = _start_routes(bus, host, bus.settings.routes)
    except (RouteFileError, BrokerUnavailable, AdapterConfigError, UnknownAdapterKind) as exc:
        if host is not None:
            host.stop()
        bus.close()
        if isinstance(exc, RouteFileError):
            fail("the routes cannot run:\n" + "\n".join(str(p) for p in exc.problems), code=1)
        fail(str(exc), code=1)
    for route in routes:
        typer.echo(f"  route    {route.name}", err=True)
    return host, reloader


def _civic_demo(interval: float) -> DemoHooks:
    """The civic demo from the source checkout's examples/ (it is not installed with the
    package: its legacy stand-ins are test material)."""
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "examples" / "demo").is_dir() and str(checkout) not in sys.path:
        sys.path.append(str(checkout))
    try:
        module = importlib.import_module("examples.demo")
    except ImportError as exc:
        fail(
            f"the civic demo needs a civicbus source checkout with its dev extras ({exc}): "
            "clone the repository and run `make run` there",
            code=1,
        )
    demo: DemoHooks = module.CivicDemo(interval)
    return demo


def _start_routes(
    bus: Bus, host: AdapterHost, paths: list[Path]
) -> tuple[list[Route], RouteReloader]:
    """Load and check the route files against what this process offers, and subscribe them."""

    def world() -> World:
        known = World(registry=bus.registry, sources=host.source_types())
        for entry in bus.catalog.entries():
            known.operations[entry.name] = OperationTypes(
                entry.name, entry.request_type, entry.response_type
            )
        return known

    routes = checked_routes(paths, world())
    route_host = RouteHost(bus, routes, sources=host.source_types())
    route_host.start()
    return routes, RouteReloader(route_host, paths, world)


def _start_probes(bus: Bus, host: AdapterHost) -> tuple[Readiness, GatewayServer | None]:
    """/healthz, /readyz (broker, databases, adapters) and /metrics, unless `ops.enabled` is
    off; a port already taken costs the probes, not the run."""
    ops = bus.settings.ops
    readiness = bus_readiness(bus, timeout=ops.check_timeout)
    readiness.add("adapters", lambda: _adapters_ready(host))
    if not ops.enabled:
        return readiness, None
    try:
        server = GatewayServer(ops_app(readiness), host=ops.host, port=ops.port)
        server.start()
    except (OSError, RuntimeError) as exc:
        log.warning("probes_not_served", error=str(exc), hint="set ops.port, or ops.enabled: false")
        return readiness, None
    typer.echo(f"  probes   {server.url}/readyz   metrics {server.url}/metrics", err=True)
    return readiness, server


def _adapters_ready(host: AdapterHost) -> str:
    statuses = host.status()
    down = [
        f"{s.name} ({s.health.detail if not s.health.ok else 'circuit open'})"
        for s in statuses
        if not s.health.ok or s.breaker == "open"
    ]
    if down:
        raise RuntimeError(f"not ready: {', '.join(down)}")
    return f"{len(statuses)} healthy" if statuses else "none configured"


def _start_gateway(bus: Bus) -> tuple[Gateway, GatewayServer] | None:
    """The HTTP gateway in this process too, when `gateway.enabled` says so."""
    settings = bus.settings.gateway
    if not settings.enabled:
        return None
    served = Gateway(bus)
    server = listen_in_background(
        "gateway", bus, served, host=settings.host, port=settings.port, before=served.start
    )
    typer.echo(f"  gateway  {server.url}/api/v1/docs", err=True)

    def stop_with_the_bus() -> None:
        # No new call once the bus stops: one taken then would wait for this process's own
        # operation servers, stopping too. Calls in flight end with the bus's caller (504).
        bus.stopping.wait()
        server.request_stop()

    threading.Thread(target=stop_with_the_bus, name="gateway-stop", daemon=True).start()
    return served, server


def _start_console(
    bus: Bus, host: AdapterHost, readiness: Readiness
) -> tuple[Console, GatewayServer] | None:
    """The operations console in this process too, when `console.enabled` says so; it sees
    this process's adapters as well as the shared catalog."""
    settings = bus.settings.console
    if not settings.enabled:
        return None
    console = Console(bus, adapter_status=host.status, readiness=readiness)
    server = listen_in_background("console", bus, console, host=settings.host, port=settings.port)
    typer.echo(f"  console  {server.url}/", err=True)
    return console, server


def _safe(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
