"""`civicbus run`: start the bus and its consumers in this process until Ctrl-C or SIGTERM."""

from __future__ import annotations

import random
import signal
import threading
from datetime import date, timedelta
from typing import Annotated

import structlog
import typer

from adapters import AdapterConfigError, AdapterHost, UnknownAdapterKind
from bus._delivery import Delivery
from bus._errors import BrokerUnavailable
from bus._gateway import Gateway, GatewayServer
from bus._runtime import Bus
from bus.cli._app import app, cli_settings, fail
from schemas import Address, AddressChanged

log = structlog.get_logger("civicbus.demo")


@app.command()
def run(
    ctx: typer.Context,
    demo: Annotated[
        bool,
        typer.Option(help="Publish sample address changes every few seconds and consume them."),
    ] = False,
    demo_interval: Annotated[float, typer.Option(help="Seconds between demo events.")] = 2.0,
) -> None:
    """Run the bus: declare the broker topology, migrate the journal, consume until stopped.

    With no configuration it runs on the embedded broker under ./.civicbus/ — no server needed,
    and a kill -9 loses no accepted message. Ctrl-C (or SIGTERM) finishes the message in hand,
    acknowledges it and exits.

    Example: civicbus run --demo        (then, in another terminal: civicbus tail)
    """
    settings = cli_settings(ctx)
    bus = Bus(settings)
    try:
        host = AdapterHost.from_settings(bus)
        host.start()
        if demo:
            bus.subscribe(
                "demo.population-register",
                ["civic.person.address-changed"],
                _record_address_change,
            )
    except (BrokerUnavailable, AdapterConfigError, UnknownAdapterKind) as exc:
        bus.close()
        fail(str(exc), code=1)
    typer.secho("civicbus is running", fg=typer.colors.GREEN, bold=True, err=True)
    typer.echo(f"  broker   {_safe(settings.broker)}", err=True)
    typer.echo(f"  journal  {_safe(settings.journal_url)}", err=True)
    typer.echo("  watch    civicbus tail          (in another terminal)", err=True)
    typer.echo("  stop     Ctrl-C", err=True)
    feeder: threading.Thread | None = None
    if demo:
        feeder = threading.Thread(
            target=_feed_demo, args=(bus, demo_interval), daemon=True, name="demo-feeder"
        )
        feeder.start()
    for entry in bus.catalog.entries():
        typer.echo(f"  offers   {entry.name}", err=True)
    # A signal that comes while the gateway starts, before the bus takes over the signals,
    # must stop the bus cleanly rather than kill the process.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _signum, _frame: bus.stop())
    served, server = _start_gateway(bus)
    try:
        bus.run_until_stopped()
    finally:
        if server is not None and served is not None:
            server.stop()
            served.close()
        host.stop()
    typer.secho("civicbus stopped cleanly", fg=typer.colors.GREEN, err=True)


def _start_gateway(bus: Bus) -> tuple[Gateway | None, GatewayServer | None]:
    """The HTTP gateway in this process too, when `gateway.enabled` says so."""
    settings = bus.settings.gateway
    if not settings.enabled:
        return None, None
    served = Gateway(bus)
    try:
        server = GatewayServer(served.app, host=settings.host, port=settings.port)
        served.start()
        server.start()
    except (OSError, RuntimeError) as exc:
        served.close()
        bus.close()
        fail(f"the gateway cannot listen: {exc}; change gateway.port or stop what uses it", 1)
    typer.echo(f"  gateway  {server.url}/api/v1/docs", err=True)
    return served, server


def _record_address_change(delivery: Delivery) -> None:
    change = delivery.payload
    assert isinstance(change, AddressChanged)
    log.info(
        "address_change_recorded",
        city=change.address.city,
        effective_date=change.effective_date.isoformat(),
    )


_STREETS = ["Pikk", "Lai", "Vene", "Rataskaevu", "Suur-Karja", "Narva mnt"]
_CITIES = ["Tallinn", "Tartu", "Pärnu", "Narva"]


def _feed_demo(bus: Bus, interval: float) -> None:
    rng = random.Random()  # noqa: S311 — sample data, not secrets
    publisher = bus.publisher()
    try:
        while not bus.stopping.wait(interval):
            person_id = f"{rng.choice('3456')}{rng.randrange(10**9, 10**10)}"
            change = AddressChanged(
                person_id=person_id,
                address=Address(
                    street=f"{rng.choice(_STREETS)} {rng.randint(1, 80)}",
                    postal_code=f"{rng.randint(10000, 99999)}",
                    city=rng.choice(_CITIES),
                    country="EE",
                ),
                effective_date=date.today() + timedelta(days=rng.randint(0, 30)),
            )
            envelope = bus.registry.envelope(
                change, source="civicbus://demo/citizen-portal", subject=person_id
            )
            publisher.publish(envelope)
    finally:
        publisher.close()


def _safe(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
