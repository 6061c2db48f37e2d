"""Embedded broker vs kombu's sqla transport: publish n messages, then consume and ack them all.

Both run the same kombu code in one process on fresh temporary files: persistent ~300-byte
messages through a Producer, then a Consumer with manual ack. A rate is n / (publish + consume
seconds), so runs of different sizes compare. ``python -m bench.bench_embedded`` prints them.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.message import Message

from bus._embedded import register

_BODY = {"data": "x" * 260, "seq": 0}  # ~300 bytes once serialised as JSON
_SQLA_MAX = 1000  # sqla manages a few hundred msg/s; more only makes the run longer


def _rate(url: str, n: int) -> float:
    exchange = Exchange("bench", "direct", durable=True)
    queue = Queue("bench", exchange, routing_key="bench", durable=True)
    with Connection(url) as connection:
        started = time.perf_counter()
        producer = Producer(connection.channel(), exchange=exchange)
        queue(producer.channel).declare()
        for seq in range(n):
            producer.publish(
                {**_BODY, "seq": seq}, routing_key="bench", delivery_mode=2, serializer="json"
            )
        received = 0

        def on_message(_body: object, message: Message) -> None:
            nonlocal received
            message.ack()
            received += 1

        with Consumer(connection.channel(), [queue], callbacks=[on_message]):
            while received < n:
                connection.drain_events(timeout=10)
        elapsed = time.perf_counter() - started
    return n / elapsed


def run(n: int = 5000) -> dict[str, float]:
    """Measure both transports; returns msgs/s for each and their ratio."""
    register()
    with tempfile.TemporaryDirectory(prefix="civicbus-bench-") as tmp:
        embedded = _rate(f"embedded:///{Path(tmp) / 'embedded.db'}", n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sqla's SQLAlchemy usage warns about legacy APIs
            sqla = _rate(f"sqla+sqlite:///{Path(tmp) / 'sqla.db'}", min(n, _SQLA_MAX))
    return {
        "embedded_msgs_per_s": round(embedded, 1),
        "kombu_sqla_msgs_per_s": round(sqla, 1),
        "embedded_vs_kombu_sqla": round(embedded / sqla, 1),
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    for name, value in run(n).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
