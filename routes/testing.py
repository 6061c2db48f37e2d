"""The route test kit: send messages into routes and look at what comes out, without a broker
(in memory) or on a real bus — the same test, switched by one fixture parameter.

    from routes.testing import StandIn, route_kit   # route_kit is a pytest fixture

    @pytest.mark.parametrize("route_kit", ["memory", "rabbitmq"], indirect=True)
    def test_big_payments_go_to_review(route_kit):
        kit = route_kit(routes, registry, operations=[StandIn("fraud.check", reply={...})])
        kit.send("payment.recorded", {"amount": 5000})
        assert [e.data for e in kit.received("payments.review", 1)] == [...]

Stand-in operations record their calls and answer with the replies they are given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from routes._kit import DeadLetter, RouteKit
from routes._kit_bus import BusKit
from routes._kit_memory import MemoryKit
from routes._model import Route
from routes._standin import StandIn, StandInFault
from schemas import SchemaRegistry

__all__ = ["BusKit", "DeadLetter", "MemoryKit", "RouteKit", "StandIn", "StandInFault", "route_kit"]

KitFactory = Callable[..., RouteKit]


@pytest.fixture
def route_kit(request: pytest.FixtureRequest) -> Iterator[KitFactory]:
    """A factory `(routes, registry, operations=[...]) -> RouteKit`. Parametrise it
    indirectly with "memory" (the default), "embedded" (the embedded broker in tmp_path) or
    "rabbitmq" (needs a `rabbitmq_url` fixture: the bus runs on that broker under names of
    its own, removed afterwards). Bus kits take `watch=[channels]` for channels only known
    at run time (recipient expressions)."""
    mode = getattr(request, "param", "memory")
    kits: list[RouteKit] = []

    def make(
        routes: list[Route],
        registry: SchemaRegistry,
        *,
        operations: list[StandIn] = (),  # type: ignore[assignment]
        **options: Any,
    ) -> RouteKit:
        kit: RouteKit
        if mode == "memory":
            kit = MemoryKit(routes, registry, operations=list(operations))
        else:
            folder = request.getfixturevalue("tmp_path")
            url = (
                f"embedded:///{folder}/broker.db"
                if mode == "embedded"
                else request.getfixturevalue(f"{mode}_url")
            )
            kit = BusKit(
                routes, registry, operations=list(operations), url=url, folder=folder, **options
            )
        kits.append(kit)
        kit.start()
        return kit

    yield make
    for kit in kits:
        kit.close()
