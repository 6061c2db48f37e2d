"""Serving an adapter's operations on the bus: request in, reply out, ack after the reply.

One queue per adapter instance. The consumer thread takes requests (up to the adapter's
concurrency in flight) and hands them to a pool of workers, which call the legacy system and
publish the reply to the caller's reply queue; the consumer thread acks each request once its
reply is on the broker. A crash before that brings the request back (at least once).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from kombu import Connection
from kombu import Consumer as KombuConsumer
from kombu.message import Message
from pydantic import BaseModel

from bus._catalog import OperationEntry
from bus._deadline import deadline_text, passed_deadline
from bus._errors import BrokerUnavailable
from bus._journal import Hop, Journal
from bus._logging import bind_message
from bus._metrics import OPERATION_SECONDS
from bus._publisher import Publisher
from bus._reconnect import serve_until_stopped
from bus._replies import ReplyStore
from bus._topology import Topology
from bus._tracing import span
from bus._wire import Outgoing, envelope_properties, raw_body
from schemas import (
    OPERATION_ERROR_TYPE,
    Envelope,
    InvalidMessage,
    OperationError,
    SchemaRegistry,
)

log = structlog.get_logger("civicbus.operations")

OperationHandler = Callable[[BaseModel, Envelope], BaseModel]


@dataclass(frozen=True)
class ServedOperation:
    entry: OperationEntry
    handler: OperationHandler


class OperationServer:
    """Serves the operations of one adapter instance until stopped."""

    def __init__(
        self,
        adapter: str,
        operations: list[ServedOperation],
        *,
        url: str,
        topology: Topology,
        registry: SchemaRegistry,
        publisher_factory: Callable[[], Publisher],
        journal: Journal | None = None,
        replies: ReplyStore | None = None,
        concurrency: int = 8,
    ) -> None:
        self.adapter = adapter
        self._operations = {served.entry.operation: served for served in operations}
        self._url = url
        self._topology = topology
        self._queue = topology.operation_queue(adapter)
        self._registry = registry
        self._publisher_factory = publisher_factory
        self._journal = journal
        self._replies = replies
        self._id_locks: dict[str, tuple[threading.Lock, int]] = {}
        self._id_locks_guard = threading.Lock()
        self._concurrency = concurrency
        self._done: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self._local = threading.local()
        self._publishers: list[Publisher] = []
        self._publishers_lock = threading.Lock()
        self.ready = threading.Event()
        self.reconnects = 0

    @property
    def queue_name(self) -> str:
        return str(self._queue.name)

    def declare(self) -> None:
        connection = Connection(self._url, connect_timeout=5)
        try:
            connection.ensure_connection(max_retries=3, interval_start=0.5, interval_step=1)
            self._topology.operations.declare(channel=connection.channel())
            self._queue(connection.channel()).declare()
        except Exception as exc:
            raise BrokerUnavailable(
                f"cannot declare the operation queue of adapter {self.adapter!r}: the broker at "
                f"{connection.as_uri()} did not answer ({exc}); start it or fix broker_url — "
                "`civicbus doctor` checks it"
            ) from exc
        finally:
            connection.release()

    def run(self, stop: threading.Event) -> None:
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix=self.adapter) as pool:
            serve_until_stopped(
                lambda: self._serve(pool, stop),
                stop,
                self.ready,
                event="operation_server_reconnecting",
                on_failure=self._count_reconnect,
                adapter=self.adapter,
            )
        for publisher in self._publishers:
            publisher.close()

    def _count_reconnect(self) -> None:
        self.reconnects += 1

    def _serve(self, pool: ThreadPoolExecutor, stop: threading.Event) -> None:
        inflight: set[int] = set()
        with Connection(self._url, connect_timeout=5, heartbeat=20) as connection:
            connection.ensure_connection(max_retries=1)
            channel = connection.channel()
            self._topology.operations.declare(channel=channel)
            self._queue(channel).declare()

            def on_message(message: Message) -> None:
                inflight.add(id(message))
                pool.submit(self._work, message)

            consumer = KombuConsumer(
                channel,
                queues=[self._queue],
                on_message=on_message,
                # More than the workers take at once: requests queue in the pool while the
                # acks of finished ones wait for this thread's next turn.
                prefetch_count=self._concurrency * 4,
                no_ack=False,
            )
            with consumer:
                self.ready.set()
                log.info(
                    "operation_server_started",
                    adapter=self.adapter,
                    operations=sorted(self._operations),
                )
                while not (stop.is_set() and not inflight):
                    try:
                        # Acks may lag (the prefetch keeps requests coming); polling often
                        # would only burn the CPU the workers need.
                        connection.drain_events(timeout=0.05 if inflight else 0.5)
                    except TimeoutError:
                        connection.heartbeat_check()
                    while not self._done.empty():
                        message = self._done.get()
                        inflight.discard(id(message))
                        message.ack()
                    if stop.is_set():
                        consumer.cancel()  # take no new requests; finish those in hand

    # -- in a worker thread ---------------------------------------------------------------

    def _work(self, message: Message) -> None:
        try:
            self._answer(message)
        except Exception as exc:
            log.error("operation_reply_failed", adapter=self.adapter, error=str(exc))
            return  # not acked: redelivered when this connection closes
        self._done.put(message)

    def _answer(self, message: Message) -> None:
        reply_to = message.properties.get("reply_to")
        body = raw_body(message)
        try:
            request = Envelope.from_json(body)
        except InvalidMessage as exc:
            log.error("operation_request_invalid", adapter=self.adapter, error=str(exc))
            return  # no envelope, no one to answer: acked and logged
        with bind_message(request, consumer=f"adapter:{self.adapter}"):
            operation = _operation_name(request.type, self.adapter)
            served = self._operations.get(operation)
            started = time.perf_counter()
            if self._journal is not None:
                self._journal.message(request)
                self._journal.hop(request.id, Hop.DELIVERED, consumer=self.adapter)
            with self._one_at_a_time(request.id):
                reply_body = self._kept_reply(request, served)
                if reply_body is None and (deadline := passed_deadline(request)) is not None:
                    self._leave_expired(request, operation, deadline)
                    return
                if reply_body is None:
                    reply = self._reply(request, served, operation)
                    reply_body = reply.to_json()
                    self._keep_reply(request, served, reply, reply_body)
                else:
                    reply = Envelope.from_json(reply_body)
                    log.info("operation_reply_repeated", adapter=self.adapter, operation=operation)
            elapsed = (time.perf_counter() - started) * 1000
            outcome = str(reply.data.get("code")) if reply.type == OPERATION_ERROR_TYPE else "ok"
            OPERATION_SECONDS.labels(self.adapter, operation, outcome).observe(elapsed / 1000)
            if self._journal is not None:
                failed = reply.type == OPERATION_ERROR_TYPE
                self._journal.hop(
                    request.id,
                    Hop.REJECTED if failed else Hop.HANDLED,
                    consumer=self.adapter,
                    duration_ms=elapsed,
                    error=reply.data.get("message") if failed else None,
                )
            if reply_to:
                self._publisher().send(
                    [
                        Outgoing(
                            body=reply_body,
                            exchange="",
                            routing_key=reply_to,
                            properties=envelope_properties(reply),
                            persistent=False,
                        )
                    ]
                )

    def _leave_expired(self, request: Envelope, operation: str, deadline: datetime) -> None:
        """Acknowledge a request whose caller has stopped waiting, without calling the legacy
        system: the caller was told it timed out, and no one reads a reply any more."""
        error = (
            f"not sent to the legacy system: its caller stopped waiting at "
            f"{deadline_text(deadline)}, before this server took it"
        )
        log.warning("operation_request_expired", adapter=self.adapter, operation=operation)
        OPERATION_SECONDS.labels(self.adapter, operation, "expired").observe(0)
        if self._journal is not None:
            self._journal.hop(request.id, Hop.REJECTED, consumer=self.adapter, error=error)

    @contextmanager
    def _one_at_a_time(self, request_id: str) -> Iterator[None]:
        # Two copies of one request in flight at once (a publisher's retry) must not both
        # reach the legacy system: the second waits, then finds the first one's reply kept.
        with self._id_locks_guard:
            lock, users = self._id_locks.get(request_id, (threading.Lock(), 0))
            self._id_locks[request_id] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._id_locks_guard:
                lock, users = self._id_locks[request_id]
                if users == 1:
                    del self._id_locks[request_id]
                else:
                    self._id_locks[request_id] = (lock, users - 1)

    def _kept_reply(self, request: Envelope, served: ServedOperation | None) -> bytes | None:
        if self._replies is None or served is None or served.entry.idempotent:
            return None
        return self._replies.find(self.adapter, request.id)

    def _keep_reply(
        self, request: Envelope, served: ServedOperation | None, reply: Envelope, body: bytes
    ) -> None:
        # Only final answers of writes: a retryable error may go differently next time, and
        # repeating a read is harmless.
        if self._replies is None or served is None or served.entry.idempotent:
            return
        if reply.type == OPERATION_ERROR_TYPE and reply.data.get("retryable"):
            return
        self._replies.keep(self.adapter, request.id, body)

    def _reply(self, request: Envelope, served: ServedOperation | None, operation: str) -> Envelope:
        if served is None:
            known = ", ".join(sorted(self._operations))
            return self._error(
                request,
                operation,
                "unknown_operation",
                f"{self.adapter} has no operation {operation!r}; it offers {known}",
            )
        try:
            payload = self._registry.read(request)
        except InvalidMessage as exc:
            return self._error(
                request,
                operation,
                "invalid_request",
                str(exc),
                detail=[{"location": p.location, "message": p.message} for p in exc.problems],
            )
        try:
            with span(
                f"operation {self.adapter}.{operation}",
                request.traceparent,
                "server",
                **{"messaging.message.id": request.id},
            ):
                result = served.handler(payload, request)
        except Exception as exc:
            return self._error(
                request,
                operation,
                getattr(exc, "code", "internal_error"),
                str(exc),
                retryable=bool(getattr(exc, "retryable", False)),
                fault_code=getattr(exc, "fault_code", None),
                detail=_plain(getattr(exc, "detail", None)),
                retry_after=getattr(exc, "retry_after", None),
            )
        return Envelope(
            type=served.entry.response_type,
            source=f"civicbus://adapter/{self.adapter}",
            subject=request.subject,
            dataschema=self._registry.get(served.entry.response_type).dataschema,
            data=result.model_dump(mode="json"),
            correlationid=request.correlationid,
            causationid=request.id,
            traceparent=request.traceparent,
        )

    def _error(
        self,
        request: Envelope,
        operation: str,
        code: str,
        message: str,
        *,
        retryable: bool = False,
        **extra: Any,
    ) -> Envelope:
        error = OperationError(
            code=code,
            message=message,
            retryable=retryable,
            adapter=self.adapter,
            operation=operation,
            **extra,
        )
        log.warning(
            "operation_failed",
            adapter=self.adapter,
            operation=operation,
            code=code,
            retryable=retryable,
        )
        return self._registry.envelope(
            error,
            source=f"civicbus://adapter/{self.adapter}",
            subject=request.subject,
            correlationid=request.correlationid,
            causationid=request.id,
            traceparent=request.traceparent,
        )

    def _publisher(self) -> Publisher:
        publisher: Publisher | None = getattr(self._local, "publisher", None)
        if publisher is None:
            publisher = self._publisher_factory()
            self._local.publisher = publisher
            with self._publishers_lock:
                self._publishers.append(publisher)
        return publisher


def _operation_name(request_type: str, adapter: str) -> str:
    # "<adapter>.<operation>.request" -> "<operation>"
    inner = request_type.removeprefix(f"{adapter}.")
    return inner.removesuffix(".request")


def _plain(detail: Any) -> Any:
    if detail is None or isinstance(detail, str | int | float | bool | list | dict):
        return detail
    return str(detail)
