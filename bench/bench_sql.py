"""The SQL source against plain SQLAlchemy + raw kombu, on PostgreSQL and RabbitMQ.

Both read the same 100k-row backlog of the legacy BEN_CASE table in batches and publish one
persistent message per row with publisher confirms. The raw side selects and publishes JSON,
waiting for each confirm (`confirm_publish`); the source also coerces each row into its
payload model, builds the CloudEvents envelope, routes it through the topic exchange and
commits its watermark per batch — and pipelines the confirms. Then the change latency: a
row committed by the legacy application -> the message handed to a consumer, polled every
second.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from kombu import Connection, Exchange, Producer, Queue

from adapters import AdapterHost, BusEmitter
from adapters.sql import (
    LegacySchema,
    Poller,
    SourceConfig,
    SqlAdapter,
    SqlConfig,
    WatermarkStore,
    payload_model,
    row_mapper,
)
from bus import Bus, Delivery, Settings
from examples.legacy.benefits_db import LegacyApplication, cases, create_schema

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

SOURCE: dict[str, Any] = {
    "name": "cases",
    "table": "BEN_CASE",
    "event_type": "bench.case.changed",
    "fields": [
        {"column": "CASE_NO"},
        {"column": "CLIENT_NAME"},
        {"column": "STATUS"},
        {"column": "AMOUNT", "type": "decimal"},
        {"column": "START_DT", "type": "date", "formats": ["%d.%m.%Y"]},
    ],
    "watermark": ["CHG_SEQ"],
    "key": ["CASE_NO"],
    "batch_size": 1000,
    "max_rows_per_poll": 1_000_000,
    "poll_interval": 1.0,
}


class _Database:
    """A scratch PostgreSQL database with the legacy schema, dropped on exit."""

    def __init__(self) -> None:
        self.name = f"civicbus_bench_{uuid.uuid4().hex[:10]}"
        self._admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.name}"

    def __enter__(self) -> sa.Engine:
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        self.engine = sa.create_engine(self.url)
        create_schema(self.engine)
        return self.engine

    def __exit__(self, *_: object) -> None:
        self.engine.dispose()
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.dispose()


def _backlog(engine: sa.Engine, n: int) -> None:
    rows = [
        {
            "CASE_NO": f"C{i:08d}",
            "CLIENT_NAME": f"client {i}",
            "STATUS": "OP",
            "AMOUNT": Decimal("120.50"),
            "START_DT": "01.02.2003",
            "CHG_SEQ": i + 1,
        }
        for i in range(n)
    ]
    with engine.begin() as connection:
        connection.execute(cases.insert(), rows)


def raw(engine: sa.Engine, n: int, batch: int, url: str = RABBITMQ_URL) -> float:
    tag = uuid.uuid4().hex[:8]
    exchange = Exchange(f"bench.sqlraw.{tag}", type="topic", durable=True)
    queue = Queue(f"bench.sqlraw.{tag}", exchange, routing_key="#", durable=True)
    with Connection(url, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        queue(channel).declare()
        producer = Producer(channel, exchange=exchange, serializer="json")
        started = time.perf_counter()
        position, sent = 0, 0
        while sent < n:
            with engine.connect() as db:
                rows = db.execute(
                    sa.select(cases)
                    .where(position < cases.c.CHG_SEQ)
                    .order_by(cases.c.CHG_SEQ)
                    .limit(batch)
                ).all()
            for row in rows:
                body = json.loads(json.dumps(dict(row._mapping), default=str))
                producer.publish(body, routing_key="case.changed", delivery_mode=2)
            position, sent = rows[-1].CHG_SEQ, sent + len(rows)
        elapsed = time.perf_counter() - started
        queue(channel).delete()
        exchange(channel).delete()
    return n / elapsed


def _settings(tmp: str, url: str) -> Settings:
    tag = uuid.uuid4().hex[:8]
    return Settings(
        data_dir=Path(tmp), broker_url=url, exchange=f"bench.{tag}", queue_prefix=f"bench.{tag}"
    )


def _delete_topology(bus: Bus, queues: list[Queue]) -> None:
    with Connection(bus.settings.broker) as connection:
        channel = connection.channel()
        for queue in queues:
            queue(channel).delete()
        bus.topology.exchange(channel).delete()


def poll(engine: sa.Engine, n: int, url: str = RABBITMQ_URL) -> float:
    source = SourceConfig.model_validate(SOURCE)
    with tempfile.TemporaryDirectory() as tmp:
        bus = Bus(_settings(tmp, url))
        model = payload_model(source)
        bus.registry.register(model, type=source.event_type, version=1)
        # A queue holding every event, as the raw side's: messages are stored, not dropped.
        sink = Queue(f"{bus.settings.queue_prefix}.sink", bus.topology.exchange, "#", durable=True)
        with Connection(bus.settings.broker) as connection:
            sink(connection.channel()).declare()
        store = WatermarkStore(f"sqlite:///{tmp}/state.db")
        poller = Poller(
            adapter="bench",
            engine=engine,
            table=LegacySchema(engine, None, "bench").table("BEN_CASE", where="bench"),
            source=source,
            model=model,
            mapper=row_mapper(source),
            store=store,
        )
        emitter = BusEmitter(bus, "bench", source.name, source.event_type)
        started = time.perf_counter()
        emitted = poller.poll(emitter)
        elapsed = time.perf_counter() - started
        if emitted != n:
            raise RuntimeError(f"the source emitted {emitted} of {n} rows")
        emitter.close()
        store.close()
        bus.close()
        _delete_topology(bus, [sink, emitter.dead_letters])
    return n / elapsed


def latency_p99_ms(engine: sa.Engine, samples: int = 40, url: str = RABBITMQ_URL) -> float:
    legacy = LegacyApplication(engine)
    with tempfile.TemporaryDirectory() as tmp:
        bus = Bus(_settings(tmp, url))
        seen: dict[str, float] = {}
        arrived = threading.Condition()

        def handle(delivery: Delivery) -> None:
            with arrived:
                seen[str(delivery.envelope.subject)] = time.perf_counter()
                arrived.notify_all()

        consumer = bus.subscribe("latency", ["bench.case.#"], handle)
        config = SqlConfig(
            url=str(engine.url.render_as_string(hide_password=False)),
            state_url=f"sqlite:///{tmp}/state.db",
            sources=[SourceConfig.model_validate({**SOURCE, "max_rows_per_poll": 10_000})],
        )
        # Start at the end of the backlog: the latency of new changes, not of the backlog.
        with engine.connect() as db:
            last = db.execute(sa.select(sa.func.max(cases.c.CHG_SEQ))).scalar_one()
        store = WatermarkStore(config.state_url)
        store.save("bench-latency", "cases", (last,))
        store.close()
        adapter = SqlAdapter("bench-latency", config)
        host = AdapterHost(bus, [adapter])
        host.start()
        bus.start()
        bus.wait_ready(30)
        committed: dict[str, float] = {}
        for i in range(samples):
            case_no = f"L{i:04d}"
            legacy.open_case(case_no, "latency", start_dt="01.02.2003")
            committed[case_no] = time.perf_counter()
            # Spread the commits across the poll interval, so each waits a different time.
            time.sleep(0.137 + (i % 7) * 0.05)
        with arrived:
            arrived.wait_for(lambda: all(c in seen for c in committed), timeout=60)
        host.stop()
        dead_letters = f"{bus.settings.queue_prefix}.source.bench-latency.cases.dlq"
        bus.close()  # before the queues go, so its consumer is not cancelled under it
        _delete_topology(bus, [*consumer.queues.all(), Queue(dead_letters)])
    waits = sorted((seen[c] - at) * 1000 for c, at in committed.items() if c in seen)
    if len(waits) < samples:
        raise RuntimeError(f"only {len(waits)} of {samples} changes arrived")
    return waits[min(len(waits) - 1, int(len(waits) * 0.99))]


def run(n: int = 100_000) -> dict[str, float]:
    with _Database() as engine:
        _backlog(engine, n)
        raw_rate = raw(engine, n, batch=SOURCE["batch_size"])
        poll_rate = poll(engine, n)
        p99 = latency_p99_ms(engine)
    return {
        "sql_raw_rows_per_s": round(raw_rate, 1),
        "sql_poll_rows_per_s": round(poll_rate, 1),
        "sql_poll_vs_raw": round(poll_rate / raw_rate, 2),
        "sql_change_latency_p99_ms": round(p99, 1),
    }


if __name__ == "__main__":
    from bus import configure_logging

    configure_logging(Settings(log_level="warning"))
    print(json.dumps(run(), indent=2))
