"""A five-step route against the bare bus, on the same RabbitMQ in the same run.

The bare bus publishes N events and one consumer handles them. The route does the same, and
for each event validates it, translates it to another schema, filters it, routes it by
content and publishes the result on a channel: the figure is events through the route per
second, until every result is confirmed on the broker.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from pathlib import Path

from kombu import Connection, Queue
from pydantic import BaseModel

from bench.bench_rabbitmq import RABBITMQ_URL, _payload
from bench.bench_rabbitmq import bus as bare_bus
from bus import Bus, Settings
from routes import Route, RouteHost

UPDATE = "bench.benefits.address-update"


class AddressUpdate(BaseModel):
    person_id: str
    street: str
    city: str
    postal_code: str


ROUTE = {
    "route": "bench-five-steps",
    "from": {"channel": "civic.person.address-changed"},
    "steps": [
        {"validate": {"schema": "civic.person.address-changed"}},
        {
            "translate": {
                "to": UPDATE,
                "fields": {
                    "person_id": "data.person_id",
                    "street": "data.address.street",
                    "city": "data.address.city",
                    "postal_code": "data.address.postal_code",
                },
            }
        },
        {"filter": {"when": 'data.city != ""'}},
        {
            "choice": {
                "when": [
                    {"test": 'data.city == "Tallinn"', "steps": [{"to": {"channel": "b.tln"}}]}
                ],
                "otherwise": [{"to": {"channel": "b.other"}}],
            }
        },
    ],
}


def route(n: int, url: str = RABBITMQ_URL) -> float:
    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            broker_url=url,
            exchange=f"bench.{tag}",
            queue_prefix=f"bench.{tag}",
            prefetch=200,
        )
        civic = Bus(settings)
        civic.registry.register(AddressUpdate, type=UPDATE, version=1)
        results = Queue(f"bench.{tag}.results", civic.topology.exchange, routing_key="b.#")
        with Connection(url) as connection:
            results(connection.channel()).declare()
        host = RouteHost(civic, [Route.model_validate(ROUTE)])
        host.start()
        started = time.perf_counter()
        civic.publish(
            *(
                civic.registry.envelope(_payload(i), source="urn:bench", subject=f"3800108{i:04d}")
                for i in range(n)
            )
        )
        civic.start()
        with Connection(url) as connection:
            channel = connection.channel()
            deadline = time.monotonic() + 300
            while _depth(channel, results.name) < n:
                if time.monotonic() > deadline:
                    raise RuntimeError("the route did not deliver every result in 300 s")
                time.sleep(0.02)
        elapsed = time.perf_counter() - started
        civic.close()
        with Connection(url) as connection:
            channel = connection.channel()
            results(channel).delete()
            for consumer in civic.consumers:
                for queue in consumer.queues.all():
                    queue(channel).delete()
            civic.topology.exchange(channel).delete()
    return n / elapsed


def _depth(channel: object, queue: str) -> int:
    _name, messages, _consumers = channel.queue_declare(queue, passive=True)  # type: ignore[attr-defined]
    return int(messages)


def run(n: int = 5000) -> dict[str, float]:
    bare = bare_bus(n)
    routed = route(n)
    return {
        "route_bare_bus_msgs_per_s": round(bare, 1),
        "route_5_steps_msgs_per_s": round(routed, 1),
        "route_vs_bare_bus": round(routed / bare, 2),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
