"""The embedded broker through the plain kombu API, across threads and real processes."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.message import Message

from bus._embedded import BrokerNotFound, EmbeddedUrlError, register

register()

# Child processes import the package the same way the product does.
_CHILD_PRELUDE = """
import sys, time
from kombu import Connection, Consumer, Exchange, Producer, Queue
from bus._embedded import register
register()
url = sys.argv[1]
"""

_PUBLISHER = (
    _CHILD_PRELUDE
    + """
with Connection(url) as conn:
    queue = Queue("work", routing_key="work")
    producer = Producer(conn.default_channel)
    for seq in range(int(sys.argv[2])):
        producer.publish({"seq": seq}, routing_key="work", declare=[queue])
"""
)

# Receives (and never acks) a full prefetch window, reports it, then waits to be killed.
_STALLED_CONSUMER = (
    _CHILD_PRELUDE
    + """
window = int(sys.argv[2])
seen = []
def on_message(body, message):
    seen.append(body["seq"])
    if len(seen) == window:
        print(" ".join(map(str, seen)), flush=True)
with Connection(url) as conn:
    with Consumer(conn, [Queue("work", routing_key="work")], callbacks=[on_message],
                  prefetch_count=window):
        while True:
            try:
                conn.drain_events(timeout=1)
            except TimeoutError:
                pass
"""
)

# Acks everything it gets after a moment's work, prints each seq; stops when told to.
_WORKER = (
    _CHILD_PRELUDE
    + """
import os
stop_file = sys.argv[2]
def on_message(body, message):
    time.sleep(0.002)
    print(body["seq"], flush=True)
    message.ack()
with Connection(url) as conn:
    with Consumer(conn, [Queue("work", routing_key="work")], callbacks=[on_message],
                  prefetch_count=10):
        print("ready", flush=True)
        while not os.path.exists(stop_file):
            try:
                conn.drain_events(timeout=0.2)
            except TimeoutError:
                pass
"""
)

_TAIL = (
    _CHILD_PRELUDE
    + """
with Connection(url) as conn:
    Queue("tail-1", exclusive=True, auto_delete=True)(conn.default_channel).declare()
    print("ready", flush=True)
    time.sleep(60)
"""
)


def _spawn(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)


def _run(code: str, *args: str) -> None:
    subprocess.run([sys.executable, "-c", code, *args], check=True, timeout=60)


def _kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture
def broker_file(tmp_path: Path) -> Path:
    return tmp_path / "broker.db"


@pytest.fixture
def broker_url(broker_file: Path) -> str:
    return f"embedded:///{broker_file}"  # tmp_path is absolute: embedded:////tmp/...


@pytest.fixture
def connection(broker_url: str) -> Iterator[Connection]:
    with Connection(broker_url) as conn:
        yield conn


def _stored_rows(broker_file: Path) -> int:
    with sqlite3.connect(broker_file) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM messages").fetchone()
    return int(count)


def _consume(
    conn: Connection,
    queues: list[Queue],
    expected: int,
    *,
    received: list[Message] | None = None,
) -> list[Message]:
    """Ack and collect messages until ``received`` holds ``expected`` (or 20 s have passed)."""
    collected: list[Message] = [] if received is None else received

    def callback(_body: Any, message: Message) -> None:
        message.ack()
        collected.append(message)

    deadline = time.monotonic() + 20
    with Consumer(conn, queues, callbacks=[callback], prefetch_count=10):
        while len(collected) < expected and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                conn.drain_events(timeout=0.5)
    return collected


# -- routing and message fidelity ------------------------------------------------------------


def test_a_message_round_trips_with_its_properties_and_headers(connection: Connection) -> None:
    queue = Queue("orders", Exchange("events", "direct"), routing_key="order.created")
    Producer(connection.default_channel).publish(
        {"id": 7},
        exchange="events",
        routing_key="order.created",
        declare=[queue],
        headers={"tenant": "city"},
        message_id="m-1",
        correlation_id="c-1",
    )

    (message,) = _consume(connection, [queue], 1)

    assert (
        message.payload,
        message.headers,
        message.properties["message_id"],
        message.properties["correlation_id"],
        message.delivery_info["redelivered"],
    ) == ({"id": 7}, {"tenant": "city"}, "m-1", "c-1", False)


def test_topic_routing_honours_star_and_hash(connection: Connection) -> None:
    events = Exchange("events", "topic")
    one_word = Queue("one", events, routing_key="permit.*")
    any_depth = Queue("any", events, routing_key="permit.#")
    producer = Producer(connection.default_channel, exchange=events)
    for queue in (one_word, any_depth):
        queue(connection.default_channel).declare()
    for key in ("permit.granted", "permit.granted.late", "tax.paid"):
        producer.publish({"key": key}, routing_key=key)

    depths = {
        q.name: q(connection.default_channel).queue_declare(passive=True).message_count
        for q in (one_word, any_depth)
    }

    assert depths == {"one": 1, "any": 2}


def test_fanout_copies_every_message_to_each_bound_queue(connection: Connection) -> None:
    broadcast = Exchange("broadcast", "fanout")
    queues = [Queue(name, broadcast) for name in ("a", "b", "c")]
    Producer(connection.default_channel).publish(
        {"hello": 1}, exchange=broadcast, routing_key="ignored", declare=queues
    )

    received = _consume(connection, queues, 3)

    assert sorted(m.delivery_info["routing_key"] for m in received) == ["ignored"] * 3


def test_the_default_exchange_routes_by_queue_name(connection: Connection) -> None:
    queue = Queue("direct-by-name")
    queue(connection.default_channel).declare()
    Producer(connection.default_channel).publish({"n": 1}, exchange="", routing_key=queue.name)

    (message,) = _consume(connection, [queue], 1)

    assert message.payload == {"n": 1}


def test_a_publisher_routes_through_bindings_another_connection_made_later(
    broker_url: str, connection: Connection
) -> None:
    events = Exchange("events", "topic")
    producer = Producer(connection.default_channel, exchange=events)
    producer.publish({"n": 1}, routing_key="permit.granted")  # nobody bound yet: dropped
    with Connection(broker_url) as other:
        Queue("permits", events, routing_key="permit.*")(other.default_channel).declare()

    producer.publish({"n": 2}, routing_key="permit.granted")

    (message,) = _consume(connection, [Queue("permits", events, routing_key="permit.*")], 1)
    assert message.payload == {"n": 2}


def test_publishing_to_an_undeclared_exchange_raises_not_found(connection: Connection) -> None:
    producer = Producer(connection.default_channel, auto_declare=False)

    with pytest.raises(BrokerNotFound, match="no exchange 'nowhere'"):
        producer.publish({"n": 1}, exchange="nowhere", routing_key="x")


def test_messages_come_out_in_publish_order(connection: Connection) -> None:
    queue = Queue("fifo")
    producer = Producer(connection.default_channel)
    for seq in range(50):
        producer.publish({"seq": seq}, routing_key="fifo", declare=[queue])

    received = _consume(connection, [queue], 50)

    assert [m.payload["seq"] for m in received] == list(range(50))


def test_a_consumer_without_acks_takes_messages_for_good(
    connection: Connection, broker_file: Path
) -> None:
    queue = Queue("fire-and-forget")
    Producer(connection.default_channel).publish({"n": 1}, routing_key=queue.name, declare=[queue])
    received: list[Any] = []

    with Consumer(
        connection, [queue], callbacks=[lambda body, _m: received.append(body)], no_ack=True
    ):
        connection.drain_events(timeout=5)

    assert (received, _stored_rows(broker_file)) == ([{"n": 1}], 0)


# -- settling --------------------------------------------------------------------------------


def test_reject_with_requeue_redelivers(connection: Connection) -> None:
    queue = Queue("retry-me")
    Producer(connection.default_channel).publish({"n": 1}, routing_key="retry-me", declare=[queue])
    first = queue(connection.default_channel).get()
    first.reject(requeue=True)

    again = queue(connection.default_channel).get()

    assert (again.payload, again.delivery_info["redelivered"]) == ({"n": 1}, True)


def test_reject_without_requeue_deletes(connection: Connection, broker_file: Path) -> None:
    queue = Queue("poison")
    Producer(connection.default_channel).publish({"n": 1}, routing_key="poison", declare=[queue])

    queue(connection.default_channel).get().reject(requeue=False)

    assert _stored_rows(broker_file) == 0


def test_acked_messages_are_deleted(connection: Connection, broker_file: Path) -> None:
    queue = Queue("done")
    producer = Producer(connection.default_channel)
    for seq in range(20):
        producer.publish({"seq": seq}, routing_key="done", declare=[queue])

    _consume(connection, [queue], 20)

    assert _stored_rows(broker_file) == 0


def test_closing_a_channel_releases_its_unacked_messages(connection: Connection) -> None:
    queue = Queue("held")
    Producer(connection.default_channel).publish({"n": 1}, routing_key="held", declare=[queue])
    holder = connection.channel()
    assert queue(holder).get() is not None

    holder.close()

    assert queue(connection.default_channel).queue_declare(passive=True).message_count == 1


# -- declarations ----------------------------------------------------------------------------


def test_passive_declare_of_a_missing_queue_raises_not_found(connection: Connection) -> None:
    with pytest.raises(BrokerNotFound, match="no queue 'ghost'"):
        Queue("ghost")(connection.default_channel).queue_declare(passive=True)


def test_declare_reports_the_number_of_ready_messages(connection: Connection) -> None:
    queue = Queue("depth")
    producer = Producer(connection.default_channel)
    for seq in range(3):
        producer.publish({"seq": seq}, routing_key="depth", declare=[queue])
    queue(connection.default_channel).get()  # reserved, so no longer ready

    assert queue(connection.default_channel).queue_declare().message_count == 2


def test_purge_delete_and_unbind(connection: Connection) -> None:
    events = Exchange("events", "direct")
    queue = Queue("q", events, routing_key="k")
    producer = Producer(connection.default_channel, exchange=events)
    producer.publish({"n": 1}, routing_key="k", declare=[queue])
    bound = queue(connection.default_channel)

    purged = bound.purge()
    bound.unbind_from(events, routing_key="k")
    producer.publish({"n": 2}, routing_key="k")
    depth_after_unbind = bound.queue_declare(passive=True).message_count
    bound.delete()
    events(connection.default_channel).delete()

    with pytest.raises(BrokerNotFound):
        bound.queue_declare(passive=True)
    assert (purged, depth_after_unbind) == (1, 0)


def test_a_bad_url_says_what_a_good_one_looks_like() -> None:
    with pytest.raises(EmbeddedUrlError, match=r"embedded:////absolute"):
        Connection("embedded://").connect()


def test_a_relative_url_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    with Connection("embedded:///var/bus/broker.db") as conn:
        conn.connect()

    assert (tmp_path / "var" / "bus" / "broker.db").is_file()


# -- delay line ------------------------------------------------------------------------------


def test_a_ttl_queue_delivers_to_its_dead_letter_target_after_the_ttl(
    connection: Connection,
) -> None:
    target = Queue("work")
    delay = Queue(
        "work.retry.2s",
        queue_arguments={
            "x-message-ttl": 2000,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": "work",
        },
    )
    channel = connection.default_channel
    Producer(channel).publish(
        {"n": 1}, routing_key=delay.name, declare=[target, delay], headers={"attempt": 2}
    )

    early = target(channel).get()
    waiting = delay(channel).queue_declare(passive=True).message_count
    (late,) = _consume(connection, [target], 1)

    assert (early, waiting, late.payload, late.headers["attempt"]) == (None, 1, {"n": 1}, 2)
    assert late.headers["x-death"][0]["queue"] == "work.retry.2s"


def test_a_ttl_queue_can_dead_letter_through_a_named_exchange(connection: Connection) -> None:
    events = Exchange("events", "topic")
    target = Queue("audit", events, routing_key="permit.#")
    delay = Queue(
        "permit.delay",
        queue_arguments={"x-message-ttl": 1, "x-dead-letter-exchange": "events"},
    )
    Producer(connection.default_channel).publish(
        {"n": 1}, routing_key=delay.name, exchange="", declare=[events, target, delay]
    )

    (message,) = _consume(connection, [target], 1)

    assert (message.delivery_info["exchange"], message.delivery_info["routing_key"]) == (
        "events",
        "permit.delay",
    )


# -- several threads and processes -----------------------------------------------------------


@pytest.mark.slow
def test_published_messages_survive_the_publisher_process(
    broker_url: str, connection: Connection
) -> None:
    _run(_PUBLISHER, broker_url, "25")

    received = _consume(connection, [Queue("work", routing_key="work")], 25)

    assert sorted(m.payload["seq"] for m in received) == list(range(25))


@pytest.mark.slow
def test_a_killed_consumers_messages_are_redelivered_to_the_next(
    broker_url: str, broker_file: Path
) -> None:
    _run(_PUBLISHER, broker_url, "10")
    stalled = _spawn(_STALLED_CONSUMER, broker_url, "4")
    assert stalled.stdout is not None
    held = sorted(int(seq) for seq in stalled.stdout.readline().split())
    _kill(stalled)

    with Connection(broker_url) as conn:
        received = _consume(conn, [Queue("work", routing_key="work")], 10)

    redelivered = sorted(m.payload["seq"] for m in received if m.delivery_info["redelivered"])
    assert (len(held), redelivered, len(received), _stored_rows(broker_file)) == (
        4,
        held,
        10,
        0,
    )


@pytest.mark.slow
def test_competing_consumer_processes_share_without_double_delivery(
    broker_url: str, broker_file: Path, tmp_path: Path, connection: Connection
) -> None:
    stop_file = tmp_path / "stop"
    workers = [_spawn(_WORKER, broker_url, str(stop_file)) for _ in range(2)]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    producer = Producer(connection.default_channel)
    for seq in range(1000):
        producer.publish({"seq": seq}, routing_key="work")

    deadline = time.monotonic() + 60
    while _stored_rows(broker_file) and time.monotonic() < deadline:
        time.sleep(0.1)
    stop_file.touch()
    shares = [worker.communicate(timeout=30)[0].split() for worker in workers]

    everything = sorted(int(seq) for share in shares for seq in share)
    assert everything == list(range(1000))
    assert all(shares), "both consumers should have taken part"


def test_consumers_in_threads_of_one_process_share_a_queue(
    broker_url: str, connection: Connection
) -> None:
    queue = Queue("work", routing_key="work")
    producer = Producer(connection.default_channel)
    for seq in range(200):
        producer.publish({"seq": seq}, routing_key="work", declare=[queue])
    received: list[Message] = []  # list.append is atomic, so the threads can share it

    def work() -> None:
        with Connection(broker_url) as conn:
            _consume(conn, [queue], 200, received=received)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    seqs = sorted(m.payload["seq"] for m in received)
    assert seqs == list(range(200))


@pytest.mark.slow
def test_an_auto_delete_queue_goes_when_its_owner_closes(broker_url: str) -> None:
    with Connection(broker_url) as owner:
        Queue("tail-1", exclusive=True, auto_delete=True)(owner.default_channel).declare()

    with Connection(broker_url) as other, pytest.raises(BrokerNotFound):
        Queue("tail-1")(other.default_channel).queue_declare(passive=True)


@pytest.mark.slow
def test_an_auto_delete_queue_goes_when_its_owner_is_killed(broker_url: str) -> None:
    tail = _spawn(_TAIL, broker_url)
    assert tail.stdout is not None
    assert tail.stdout.readline().strip() == "ready"
    _kill(tail)

    with Connection(broker_url) as other, pytest.raises(BrokerNotFound):
        Queue("tail-1")(other.default_channel).queue_declare(passive=True)
