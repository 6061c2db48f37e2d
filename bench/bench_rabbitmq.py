"""civicbus on RabbitMQ against raw kombu on the same broker, the same workload.

Both publish N persistent messages with publisher confirms, then consume all of them with
manual acks. Raw kombu waits for each confirm (`confirm_publish`); civicbus also builds and
validates the envelope, routes through the topic exchange, claims each id in the idempotency
store and journals every hop — and pipelines the confirms.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path

from kombu import Connection, Consumer, Exchange, Producer, Queue

from bus import Bus, Delivery, Settings
from schemas import Address, AddressChanged

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"


def _payload(i: int) -> AddressChanged:
    return AddressChanged(
        person_id=f"3800108{i:04d}",
        address=Address(street=f"Pikk {i}", postal_code="10123", city="Tallinn", country="EE"),
        effective_date=date(2026, 12, 1),
        reason="moved within the city",
    )


def raw_kombu(n: int, url: str = RABBITMQ_URL) -> float:
    tag = uuid.uuid4().hex[:8]
    exchange = Exchange(f"bench.raw.{tag}", type="direct", durable=True)
    queue = Queue(f"bench.raw.{tag}", exchange, routing_key="bench", durable=True)
    body = [_payload(i).model_dump(mode="json") for i in range(n)]
    received = 0

    def on_message(_body: object, message: object) -> None:
        nonlocal received
        message.ack()  # type: ignore[attr-defined]
        received += 1

    with Connection(url, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        queue(channel).declare()
        producer = Producer(channel, exchange=exchange, serializer="json")
        started = time.perf_counter()
        for item in body:
            producer.publish(item, routing_key="bench", delivery_mode=2)
        with Consumer(
            connection.channel(), queues=[queue], callbacks=[on_message], prefetch_count=100
        ):
            while received < n:
                connection.drain_events(timeout=10)
        elapsed = time.perf_counter() - started
        queue(channel).delete()
        exchange(channel).delete()
    return n / elapsed


def bus(n: int, url: str = RABBITMQ_URL) -> float:
    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), broker_url=url, exchange=f"bench.{tag}", queue_prefix=f"bench.{tag}"
        )
        done = threading.Event()
        handled = 0

        def handle(_delivery: Delivery) -> None:
            nonlocal handled
            handled += 1
            if handled == n:
                done.set()

        civic = Bus(settings)
        consumer = civic.subscribe("bench", ["civic.person.address-changed"], handle, prefetch=200)
        started = time.perf_counter()
        civic.publish(
            *(
                civic.registry.envelope(_payload(i), source="urn:bench", subject=f"3800108{i:04d}")
                for i in range(n)
            )
        )
        civic.start()
        if not done.wait(300):
            raise RuntimeError(f"only {handled} of {n} messages were handled")
        elapsed = time.perf_counter() - started
        civic.close()
        with Connection(url) as connection:
            channel = connection.channel()
            for queue in consumer.queues.all():
                queue(channel).delete()
            civic.topology.exchange(channel).delete()
    return n / elapsed


def run(n: int = 5000) -> dict[str, float]:
    raw = raw_kombu(n)
    civic = bus(n)
    return {
        "raw_kombu_msgs_per_s": round(raw, 1),
        "bus_rabbitmq_msgs_per_s": round(civic, 1),
        "bus_vs_raw_kombu": round(civic / raw, 2),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
