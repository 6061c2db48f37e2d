"""A small world for route tests: real schemas in a registry, the example adapter's operations,
and a source, without a broker."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from adapters import build_adapter
from routes import World
from schemas import default_registry


class Order(BaseModel):
    order_id: str
    city: str
    lines: list[dict[str, int]] = []


class OrderLine(BaseModel):
    sku: str
    amount: int


@pytest.fixture
def world() -> World:
    """The demo schemas, orders, and the real example adapter's operations as `records.*`."""
    registry = default_registry()
    registry.register(Order, type="shop.order", version=1)
    registry.register(OrderLine, type="shop.order-line", version=1)
    world = World(registry)
    adapter = build_adapter("records", {"kind": "example"})
    adapter.start()
    for operation in adapter.operations():
        world.add_operation(f"records.{operation.name}", operation.request, operation.response)
    adapter.stop()
    world.add_source("shop.orders", Order, "shop.order")
    return world


@pytest.fixture
def write(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a route file into the test's folder and give its path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text.lstrip("\n"), encoding="utf-8")
        return path

    return write
