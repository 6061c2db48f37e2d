"""A peer on the same RabbitMQ: FastStream doing the same validated consume as civicbus.

Both publish N persistent, confirmed messages (FastStream's publishes awaited 100 at a time,
so its confirms overlap as civicbus's do) and consume all of them into the same pydantic
model with an ack after the handler. civicbus also wraps each in a CloudEvents envelope,
claims its id in the idempotency store and journals every hop.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from faststream.rabbit import RabbitBroker, RabbitQueue
from kombu import Connection

from bench.bench_rabbitmq import RABBITMQ_URL, _payload
from bench.bench_rabbitmq import bus as civicbus_rate
from schemas import AddressChanged


async def _faststream(n: int, url: str) -> float:
    broker = RabbitBroker(url, log_level=30)
    queue = RabbitQueue(f"bench.faststream.{uuid.uuid4().hex[:8]}", durable=True)
    done = asyncio.Event()
    handled = 0

    @broker.subscriber(queue)
    async def handle(change: AddressChanged) -> None:
        nonlocal handled
        handled += 1
        if handled == n:
            done.set()

    bodies = [_payload(i).model_dump(mode="json") for i in range(n)]
    await broker.start()
    try:
        started = time.perf_counter()
        for start in range(0, n, 100):
            await asyncio.gather(
                *(
                    broker.publish(body, queue=queue, persist=True)
                    for body in bodies[start : start + 100]
                )
            )
        await asyncio.wait_for(done.wait(), 300)
        elapsed = time.perf_counter() - started
    finally:
        await broker.stop()
    with Connection(url) as connection:
        connection.channel().queue_delete(queue.name)
    return n / elapsed


def run(n: int = 5000) -> dict[str, float]:
    peer = asyncio.run(_faststream(n, RABBITMQ_URL))
    ours = civicbus_rate(n)
    return {
        "faststream_msgs_per_s": round(peer, 1),
        "bus_same_run_msgs_per_s": round(ours, 1),
        "bus_vs_faststream": round(ours / peer, 2),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
