"""A consumer: one queue, one handler, manual acks, reconnecting until told to stop.

`run(stop)` blocks. When the broker goes away it reconnects with backoff; messages it held but
had not acked go back to the queue on the broker's side and come again (idempotency drops the
ones already handled). When `stop` is set it finishes the message in hand, acks it, cancels and
closes, so a SIGTERM drains cleanly.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import structlog
from kombu import Connection
from kombu import Consumer as KombuConsumer

from bus._errors import BrokerUnavailable
from bus._processing import Processor
from bus._reconnect import serve_until_stopped

if TYPE_CHECKING:
    from kombu.message import Message

    from bus._topology import ConsumerQueues

log = structlog.get_logger("civicbus.consumer")

_POLL_SECONDS = 0.5
_BATCH_MAX = 100


class Consumer:
    """Consumes one consumer's work queue with a Processor until stopped."""

    def __init__(
        self,
        name: str,
        *,
        url: str,
        queues: ConsumerQueues,
        processor: Processor,
        prefetch: int,
    ) -> None:
        self.name = name
        self._url = url
        self.queues = queues
        self._queues = queues
        self._processor = processor
        self._prefetch = prefetch
        self.ready = threading.Event()
        self.reconnects = 0
        self._batch: list[Message] = []
        self._batch_max = min(prefetch, _BATCH_MAX)

    def declare(self) -> None:
        """Declare this consumer's queues (so messages published before it runs are kept)."""
        connection = Connection(self._url, connect_timeout=5)
        try:
            connection.ensure_connection(max_retries=3, interval_start=0.5, interval_step=1)
            channel = connection.channel()
            for queue in self._queues.all():
                queue(channel).declare()
        except Exception as exc:
            raise BrokerUnavailable(
                f"cannot declare the queues of consumer {self.name!r}: the broker at "
                f"{connection.as_uri()} did not answer ({exc}); start it or fix broker_url — "
                "`civicbus doctor` checks it"
            ) from exc
        finally:
            connection.release()

    def run(self, stop: threading.Event) -> None:
        serve_until_stopped(
            lambda: self._run_connected(stop),
            stop,
            self.ready,
            event="consumer_reconnecting",
            on_failure=self._count_reconnect,
            consumer=self.name,
        )
        self._processor.close()
        log.info("consumer_stopped", consumer=self.name)

    def _count_reconnect(self) -> None:
        self.reconnects += 1

    def _run_connected(self, stop: threading.Event) -> None:
        self._batch = []  # what a lost connection delivered comes again from the broker
        with Connection(self._url, connect_timeout=5, heartbeat=20) as connection:
            connection.ensure_connection(max_retries=1)
            channel = connection.channel()
            for queue in self._queues.all():
                queue(channel).declare()
            consumer = KombuConsumer(
                channel,
                queues=[self._queues.work],
                on_message=self._on_message,
                prefetch_count=self._prefetch,
                no_ack=False,
                on_decode_error=self._on_decode_error,
            )
            with consumer:
                self.ready.set()
                log.info("consumer_started", consumer=self.name, queue=self._queues.work.name)
                while not stop.is_set():
                    try:
                        connection.drain_events(timeout=_POLL_SECONDS)
                    except TimeoutError:  # nothing arrived; a chance to see stop and heartbeat
                        connection.heartbeat_check()
                        continue
                    self._take_what_is_already_here(connection)
                    batch, self._batch = self._batch, []
                    self._processor.process(batch)

    def _take_what_is_already_here(self, connection: Connection) -> None:
        # Messages the broker already pushed (up to the prefetch) join the batch without waiting.
        while len(self._batch) < self._batch_max:
            try:
                connection.drain_events(timeout=0)
            except TimeoutError:
                return

    def _on_message(self, message: Message) -> None:
        self._batch.append(message)

    def _on_decode_error(self, message: Message, exc: Exception) -> Any:
        # kombu's default acks and drops an undecodable message; it must go to the dead letters.
        self._batch.append(message)
