"""Routes reloaded on a running bus: a changed route takes over its queue without losing or
repeating a message in flight; a route file with a problem is refused and changes nothing;
`civicbus run` refuses to start with a bad route file."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bus import Bus, Delivery
from bus.cli import app
from routes import Route, RouteHost, RouteReloader, World
from schemas import Envelope
from tests.integration._waiting import wait_for
from tests.integration.routes.models import PAYMENT, payments_registry

pytestmark = pytest.mark.timeout(180)

MESSAGES = 200


def forwarding(channel: str) -> Route:
    return Route.model_validate(
        {"route": "forward", "from": {"channel": PAYMENT}, "steps": [{"to": {"channel": channel}}]}
    )


def test_a_changed_route_takes_over_without_losing_or_repeating_a_message(
    bus_factory: Callable[..., Bus],
):
    bus = bus_factory(registry=payments_registry(), prefetch=8)
    seen: dict[str, list[Envelope]] = {"out.one": [], "out.two": []}
    lock = threading.Lock()

    def keeper(channel: str) -> Callable[[Delivery], None]:
        def keep(delivery: Delivery) -> None:
            with lock:
                seen[channel].append(delivery.envelope)

        return keep

    for index, channel in enumerate(seen):
        bus.subscribe(f"watch.{index}", [channel], keeper(channel))
    host = RouteHost(bus, [forwarding("out.one")])
    host.start()
    bus.start()
    assert bus.wait_ready(30)
    envelopes = [
        bus.registry.build(PAYMENT, {"id": f"p{n}", "amount": n}, source="test")
        for n in range(MESSAGES)
    ]
    bus.publish(*envelopes[: MESSAGES // 2])
    wait_for(lambda: len(seen["out.one"]) >= 10, what="the first route at work")
    summary = host.reload([forwarding("out.two")])
    bus.publish(*envelopes[MESSAGES // 2 :])

    def total() -> int:
        return len(seen["out.one"]) + len(seen["out.two"])

    wait_for(lambda: total() >= MESSAGES, what="every message forwarded")
    ids = sorted(e.data["id"] for e in seen["out.one"] + seen["out.two"])
    assert (summary["stopped"], summary["started"], ids, bool(seen["out.two"])) == (
        ["forward"],
        ["forward"],
        sorted(f"p{n}" for n in range(MESSAGES)),
        True,
    )


def test_a_route_file_with_a_problem_is_refused_and_the_running_routes_go_on(
    bus_factory: Callable[..., Bus], tmp_path: Path
):
    bus = bus_factory(registry=payments_registry())
    host = RouteHost(bus, [forwarding("out.one")])
    host.start()
    bus.start()
    route_file = tmp_path / "routes.yaml"
    route_file.write_text(
        "routes:\n  - route: forward\n    from: {channel: x}\n    steps:\n      - fitler: {}\n"
    )
    reloader = RouteReloader(host, [route_file], lambda: World(registry=bus.registry))
    refused = reloader.reload()
    assert (refused, [c.route for c in host.consumers], [c.name for c in bus.consumers]) == (
        False,
        [forwarding("out.one")],
        ["route.forward"],
    )


def test_civicbus_run_refuses_to_start_with_a_bad_route_file(isolated_cli: None, tmp_path: Path):
    (tmp_path / "routes").mkdir()
    (tmp_path / "routes" / "moves.yaml").write_text(
        "routes:\n"
        "  - route: moves\n"
        "    from: {channel: civic.person.address-changed}\n"
        "    steps:\n"
        "      - validate: {schema: civic.person.adress-changed}\n"
    )
    (tmp_path / "civicbus.yaml").write_text("routes: [routes]\n")
    result = CliRunner().invoke(app, ["--config", "civicbus.yaml", "run"])
    assert (result.exit_code, "moves.yaml:5" in result.output, "did you mean" in result.output) == (
        1,
        True,
        True,
    )
