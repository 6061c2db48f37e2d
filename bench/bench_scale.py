"""Scale-out: two worker processes on one RabbitMQ queue against one, the same workload.

Each message costs its handler 2 ms of waiting (a legacy call) besides the bus's own work;
the figure is messages handled per second until all are recorded, with PostgreSQL as the
state database both workers share.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from kombu import Connection

from bench.bench_rabbitmq import RABBITMQ_URL, _payload
from bench.scale_worker import CONSUMER
from bus import Bus, Settings

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
IO_SECONDS = 0.002
ROOT = Path(__file__).resolve().parents[1]


def handled_per_second(workers: int, n: int) -> float:
    tag = uuid.uuid4().hex[:8]
    database = f"bench_scale_{tag}"
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    state = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                data_dir=Path(tmp),
                broker_url=RABBITMQ_URL,
                state_url=state,
                exchange=f"bench.{tag}",
                queue_prefix=f"bench.{tag}",
                journal={"url": state},
            )
            return _measure(settings, workers, n)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{database}" WITH (FORCE)'))
        admin.dispose()


def _measure(settings: Settings, workers: int, n: int) -> float:
    bus = Bus(settings)
    consumer = bus.subscribe(CONSUMER, ["civic.person.address-changed"], lambda _d: None)
    engine = sa.create_engine(settings.state)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE handled (message_id TEXT NOT NULL)"))
    config = json.dumps(settings.model_dump(mode="json"))
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.scale_worker", config, str(IO_SECONDS)],
            cwd=ROOT,
            env={**os.environ, "CIVICBUS_LOG_LEVEL": "warning"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        _wait_for_consumers(settings, consumer.queues.work.name, workers)
        envelopes = [bus.registry.envelope(_payload(i), source="urn:bench") for i in range(n)]
        started = time.perf_counter()
        bus.publish(*envelopes)
        deadline = time.monotonic() + 600
        while _count(engine) < n:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{workers} workers did not handle {n} messages in 600 s")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(60)
        engine.dispose()
        bus.close()
        with Connection(settings.broker) as connection:
            channel = connection.channel()
            for queue in consumer.queues.all():
                queue(channel).delete()
            bus.topology.exchange(channel).delete()
    return n / elapsed


def _wait_for_consumers(settings: Settings, queue: str, workers: int) -> None:
    deadline = time.monotonic() + 120
    with Connection(settings.broker) as connection:
        channel = connection.channel()
        while channel.queue_declare(queue, passive=True)[2] < workers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{workers} workers did not start consuming in 120 s")
            time.sleep(0.1)


def _count(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(sa.text("SELECT count(*) FROM handled")) or 0)


def run(n: int = 3000) -> dict[str, float]:
    one = handled_per_second(1, n)
    two = handled_per_second(2, n)
    return {
        "bus_1_worker_msgs_per_s": round(one, 1),
        "bus_2_workers_msgs_per_s": round(two, 1),
        "bus_2_workers_vs_1": round(two / one, 2),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
