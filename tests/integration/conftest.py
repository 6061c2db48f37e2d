"""One fixture runs every bus test on both transports: RabbitMQ and the embedded broker."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection, Queue

from bus import Bus, Settings
from schemas import SchemaRegistry


@pytest.fixture(params=["rabbitmq", "embedded"])
def broker_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "rabbitmq":
        return str(request.getfixturevalue("rabbitmq_url"))
    return f"embedded:///{tmp_path / 'broker.db'}"


@pytest.fixture
def make_settings(broker_url: str, tmp_path: Path) -> Callable[..., Settings]:
    """Settings isolated per test: own exchange and queue names, own files, quick retries."""
    tag = uuid.uuid4().hex[:10]

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "broker_url": broker_url,
            "exchange": f"test.{tag}.events",
            "queue_prefix": f"test.{tag}",
            "retry": {
                "in_process_attempts": 2,
                "in_process_wait_initial": 0.01,
                "in_process_wait_max": 0.02,
                "redelivery_delays": [0.2, 0.4],
            },
            "journal": {"flush_interval": 0.05},
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def bus_factory(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., Bus]]:
    """Buses closed and their RabbitMQ queues and exchange deleted after the test."""
    made: list[Bus] = []

    def factory(*, registry: SchemaRegistry | None = None, **overrides: Any) -> Bus:
        bus = Bus(make_settings(**overrides), registry=registry)
        made.append(bus)
        return bus

    yield factory
    for bus in made:
        bus.close()
        delete_topology(bus)


def delete_topology(bus: Bus) -> None:
    if bus.settings.uses_embedded_broker:
        return  # the broker file lives in tmp_path
    with Connection(bus.settings.broker) as connection:
        channel = connection.channel()
        for consumer in bus.consumers:
            for queue in consumer.queues.all():
                queue(channel).delete()
        bus.topology.exchange(channel).delete()


def drain_queue(url: str, name: str, *, max_messages: int = 100_000) -> list[Any]:
    """Every message now ready in one queue, taken off it (acked)."""
    taken = []
    with Connection(url) as connection:
        queue = Queue(name)(connection.channel())
        while len(taken) < max_messages:
            message = queue.get(no_ack=False)
            if message is None:
                break
            message.ack()
            taken.append(message)
    return taken
