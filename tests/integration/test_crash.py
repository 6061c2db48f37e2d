"""Nothing lost: a consumer killed with SIGKILL mid-stream, then restarted, handles every
message exactly once or dead-letters it, on RabbitMQ and on the embedded broker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from kombu import Connection, Queue

from bus import Bus, Settings
from schemas import Address, AddressChanged, Envelope
from tests.integration._waiting import wait_for
from tests.integration.conftest import delete_topology, drain_queue
from tests.integration.crash_consumer import CONSUMER, PATTERNS
from tests.integration.test_bus import publish_raw

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

MESSAGES = 1200
POISON = 10
REPO = Path(__file__).resolve().parents[2]


def start_consumer(settings: Settings, handler_seconds: float = 0.002) -> subprocess.Popen[bytes]:
    config = settings.model_dump(mode="json", exclude={"journal": {"url"}})
    config["journal"]["url"] = settings.journal_url
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.crash_consumer", json.dumps(config)],
        cwd=REPO,
        env={
            **os.environ,
            "CIVICBUS_LOG_FORMAT": "json",
            "CRASH_CONSUMER_HANDLER_SECONDS": str(handler_seconds),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def handled_rows(engine: sa.Engine) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        return [
            (row[0], row[1]) for row in conn.execute(sa.text("SELECT message_id, pid FROM handled"))
        ]


@dataclass
class Stage:
    """A bus with the crash consumer's queues declared, its table, and the events to send."""

    settings: Settings
    bus: Bus
    engine: sa.Engine
    envelopes: list[Envelope]

    def close(self) -> None:
        self.engine.dispose()
        self.bus.close()
        delete_topology(self.bus)


@pytest.fixture
def stage(make_settings: Callable[..., Settings]) -> Iterator[Callable[[int], Stage]]:
    made: list[Stage] = []

    def build(count: int) -> Stage:
        settings = make_settings()
        bus = Bus(settings)
        bus.subscribe(CONSUMER, PATTERNS, lambda _delivery: None)  # declares the queues
        engine = sa.create_engine(settings.state)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE handled (message_id TEXT NOT NULL, pid INTEGER)"))
        envelopes = [
            bus.registry.envelope(
                AddressChanged(
                    person_id=f"3800108{i:04d}",
                    address=Address(
                        street=f"Pikk {i}", postal_code="10123", city="Tallinn", country="EE"
                    ),
                    effective_date=date(2026, 12, 1),
                ),
                source="urn:test:crash",
            )
            for i in range(count)
        ]
        made.append(Stage(settings, bus, engine, envelopes))
        return made[-1]

    yield build
    for built in made:
        built.close()


def test_sigkill_mid_stream_loses_nothing_and_handles_each_message_once(
    stage: Callable[[int], Stage],
):
    run = stage(MESSAGES)
    run.bus.publish(*run.envelopes)
    for i in range(POISON):
        poison = b"{poison %d" % i
        publish_raw(run.bus, poison, "civic.person.address-changed", message_id=f"poison-{i}")

    first = start_consumer(run.settings)
    wait_for(
        lambda: len(handled_rows(run.engine)) >= 300,
        timeout=120,
        what="the first consumer to handle 300 messages",
    )
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    handled_before_restart = len(handled_rows(run.engine))

    second = start_consumer(run.settings)
    dead_letter_queue = run.bus.topology.dead_letter_queue_name(CONSUMER)
    # The poison messages sit behind the valid ones: wait for both before stopping.
    wait_for(
        lambda: (
            len(handled_rows(run.engine)) >= MESSAGES
            and ready_in_queue(run.settings, dead_letter_queue) >= POISON
        ),
        timeout=180,
        what="every message handled or dead-lettered after the restart",
    )
    second.send_signal(signal.SIGTERM)
    assert second.wait(60) == 0, second.stderr.read().decode() if second.stderr else ""

    rows = handled_rows(run.engine)
    letters = drain_queue(run.settings.broker, dead_letter_queue)
    ids = [message_id for message_id, _pid in rows]
    assert handled_before_restart < MESSAGES, "the kill must land mid-stream"
    assert {pid for _id, pid in rows} == {first.pid, second.pid}
    assert sorted(ids) == sorted(e.id for e in run.envelopes)  # every one, none twice
    assert sorted(m.properties["message_id"] for m in letters) == sorted(
        f"poison-{i}" for i in range(POISON)
    )


def ready_in_queue(settings: Settings, name: str) -> int:
    with Connection(settings.broker) as connection:
        return int(Queue(name)(connection.channel()).queue_declare(passive=True).message_count)


def test_sigterm_finishes_the_work_in_hand_acks_it_and_exits_cleanly(
    stage: Callable[[int], Stage],
):
    run = stage(20)
    queue = run.bus.topology.queue_name(CONSUMER)
    run.bus.publish(*run.envelopes)
    consumer = start_consumer(run.settings, handler_seconds=0.2)
    # The handlers run inside one transaction: nothing is committed until the batch is done.
    wait_for(
        lambda: ready_in_queue(run.settings, queue) < 20,
        timeout=60,
        what="the consumer to take messages",
    )
    consumer.send_signal(signal.SIGTERM)
    exit_code = consumer.wait(60)
    handled_at_stop = len(handled_rows(run.engine))
    left = ready_in_queue(run.settings, queue)

    rest = start_consumer(run.settings)
    wait_for(lambda: len(handled_rows(run.engine)) >= 20, timeout=60, what="the rest")
    rest.send_signal(signal.SIGTERM)
    rest.wait(60)
    ids = [message_id for message_id, _pid in handled_rows(run.engine)]

    assert exit_code == 0
    assert handled_at_stop > 0, "the work in hand was finished, not abandoned"
    assert left == 20 - handled_at_stop, "what was handled was acked; the rest is back"
    assert sorted(ids) == sorted(e.id for e in run.envelopes)


def test_two_workers_share_one_queue_and_handle_each_message_once(
    stage: Callable[[int], Stage],
):
    run = stage(600)
    workers = [start_consumer(run.settings, handler_seconds=0.005) for _ in range(2)]
    logs = [read_lines(worker) for worker in workers]
    try:
        # Both consuming before anything is published: otherwise one may take it all.
        wait_for(
            lambda: all(any("consumer_started" in line for line in log) for log in logs),
            what="both workers consuming",
        )
        run.bus.publish(*run.envelopes)
        wait_for(
            lambda: len(handled_rows(run.engine)) >= len(run.envelopes),
            timeout=180,
            what="every message handled by the two workers",
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(60) for worker in workers]
    rows = handled_rows(run.engine)
    ids = [message_id for message_id, _pid in rows]
    by_worker = {pid for _id, pid in rows}
    assert (codes, len(ids), len(set(ids)), len(by_worker)) == ([0, 0], 600, 600, 2)


def read_lines(process: subprocess.Popen[bytes]) -> list[str]:
    """The process's stderr lines as they come, read by a thread so the pipe never fills."""
    lines: list[str] = []

    def read() -> None:
        assert process.stderr is not None
        lines.extend(line.decode(errors="replace") for line in process.stderr)

    threading.Thread(target=read, daemon=True).start()
    return lines
