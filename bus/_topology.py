"""Names and kombu entities of everything civicbus declares on a broker.

One consumer owns three queues: its work queue bound to the event exchange by topic patterns,
one delay line per redelivery delay (a queue with a TTL whose expired messages dead-letter back
into the work queue: RabbitMQ's classic retry pattern, mirrored by the embedded broker), and its
dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kombu import Exchange, Queue, binding

from bus._settings import RetrySettings, Settings

DEFAULT_EXCHANGE = Exchange("", type="direct")


@dataclass(frozen=True)
class ConsumerQueues:
    """The queues of one consumer."""

    work: Queue
    dead_letters: Queue
    delay_lines: dict[float, Queue]

    def all(self) -> list[Queue]:
        return [self.work, self.dead_letters, *self.delay_lines.values()]


class Topology:
    """Declares the event exchange and per-consumer queues with the names settings give."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.exchange = Exchange(settings.exchange, type="topic", durable=True)
        # Requests to legacy operations, routed by `<adapter>.<operation>`.
        self.operations = Exchange(f"{settings.exchange}.operations", type="topic", durable=True)

    def operation_queue(self, adapter: str) -> Queue:
        """The queue one adapter instance serves its operations from."""
        return Queue(
            f"{self._settings.queue_prefix}.adapter.{adapter}",
            exchange=self.operations,
            routing_key=f"{adapter}.#",
            durable=True,
            queue_arguments=self._work_queue_arguments(),
        )

    def reply_queue(self, caller: str) -> Queue:
        """A caller's private queue for replies, gone when the caller goes."""
        return Queue(
            f"{self._settings.queue_prefix}.reply.{caller}",
            exchange=DEFAULT_EXCHANGE,
            routing_key=f"{self._settings.queue_prefix}.reply.{caller}",
            durable=False,
            exclusive=True,
            auto_delete=True,
        )

    def queue_name(self, consumer: str) -> str:
        return f"{self._settings.queue_prefix}.{consumer}"

    def dead_letter_queue_name(self, consumer: str) -> str:
        return f"{self.queue_name(consumer)}.dlq"

    def delay_line_name(self, consumer: str, delay: float) -> str:
        return f"{self.queue_name(consumer)}.retry.{_millis(delay)}ms"

    def stream_queue(self, stream: str, patterns: list[str]) -> Queue:
        """A live stream's private queue of events (server-sent events): gone when the
        stream's connection goes; it is no durable subscription."""
        return Queue(
            f"{self._settings.queue_prefix}.stream.{stream}",
            bindings=[binding(self.exchange, routing_key=p) for p in patterns],
            durable=False,
            exclusive=True,
            auto_delete=True,
        )

    def consumer_queues(
        self,
        consumer: str,
        patterns: list[str],
        *,
        retry: RetrySettings | None = None,
        dead_letters: str | None = None,
        delays: Iterable[float] = (),
    ) -> ConsumerQueues:
        """The work queue bound to `patterns`, its dead-letter queue (`dead_letters` names a
        shared one instead of the consumer's own) and one delay line per redelivery delay of
        `retry` (default the bus's) and per extra delay in `delays`."""
        work_name = self.queue_name(consumer)
        retry = retry or self._settings.retry
        work = Queue(
            work_name,
            bindings=[binding(self.exchange, routing_key=p) for p in patterns],
            durable=True,
            queue_arguments=self._work_queue_arguments(),
        )
        dead_letter_name = self.dead_letter_queue_name(dead_letters or consumer)
        dead_letter_queue = Queue(
            dead_letter_name,
            exchange=DEFAULT_EXCHANGE,
            routing_key=dead_letter_name,
            durable=True,
            queue_arguments=self._work_queue_arguments(),
        )
        delay_lines = {
            delay: Queue(
                self.delay_line_name(consumer, delay),
                exchange=DEFAULT_EXCHANGE,
                routing_key=self.delay_line_name(consumer, delay),
                durable=True,
                queue_arguments={
                    "x-message-ttl": _millis(delay),
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": work_name,
                },
            )
            for delay in sorted({*retry.redelivery_delays, *delays})
        }
        return ConsumerQueues(work=work, dead_letters=dead_letter_queue, delay_lines=delay_lines)

    def _work_queue_arguments(self) -> dict[str, Any]:
        # Quorum queues replicate across a RabbitMQ cluster; classic durable queues otherwise.
        return {"x-queue-type": "quorum"} if self._settings.quorum_queues else {}


def _millis(seconds: float) -> int:
    return round(seconds * 1000)
