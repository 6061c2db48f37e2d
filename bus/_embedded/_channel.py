"""The kombu channel and QoS of the embedded broker.

kombu's virtual transport supplies the AMQP surface (consumers, the polling cycle, message
objects); this channel keeps all broker state in the shared SQLite file instead of process
memory. Each channel has its own SQLite connection and its own owner identity, so reservations
are per channel, as unacked deliveries are per channel on RabbitMQ.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from queue import Empty
from typing import Any

import structlog
from amqp.protocol import queue_declare_ok_t
from kombu.transport import virtual

from . import _messages, _owners, _topology
from ._messages import Delivery
from ._schema import open_database, write_transaction

log = structlog.get_logger(__name__)
_UNROUTABLE_SEEN: set[tuple[str, str]] = set()

# Routing keys may carry ids (one per citizen, per case); bound the cache rather than grow it.
_ROUTE_CACHE_SIZE = 1024


class QoS(virtual.QoS):  # type: ignore[misc]  # kombu is untyped to mypy (follow_imports=skip)
    """Acks and rejects settle the stored row; nothing is kept only in memory."""

    channel: Channel

    def ack(self, delivery_tag: int) -> None:
        self.channel.settle(delivery_tag, requeue=False)
        self._quick_ack(delivery_tag)

    def reject(self, delivery_tag: int, requeue: bool = False) -> None:
        self.channel.settle(delivery_tag, requeue=requeue)
        self._quick_ack(delivery_tag)

    def restore_unacked(self) -> list[Any]:
        self._dirty.clear()
        self._delivered.clear()
        self.channel.release_held()
        return []

    def restore_unacked_once(self, stderr: Any = None) -> None:
        # Called on channel close and at garbage collection; the rows are in the database, so
        # restoring is one release of everything this channel still holds.
        self._on_collect.cancel()
        self.restore_unacked()


class Channel(virtual.Channel):  # type: ignore[misc]  # kombu is untyped to mypy
    QoS = QoS
    supports_fanout = True  # fanout is routed from the stored bindings like the other types

    from_transport_options = (
        *virtual.Channel.from_transport_options,
        "visibility_timeout",
        "max_batch",
        "heartbeat_interval",
        "synchronous",
        "busy_timeout",
    )
    visibility_timeout: float = 30.0
    max_batch: int = 64
    heartbeat_interval: float = 1.0
    synchronous: str = "NORMAL"
    busy_timeout: float = 30.0

    def __init__(self, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)
        self._lock = threading.RLock()
        self._open = True
        self._db = open_database(
            connection.broker_path, synchronous=self.synchronous, busy_timeout=self.busy_timeout
        )
        self.owner_id = uuid.uuid4().hex
        self._buffers: dict[str, deque[Delivery]] = {}
        self._no_ack_queues: set[str] = set()
        self._next_heartbeat = 0.0
        self._routes: dict[tuple[str, str], list[_topology.Destination]] = {}
        self._routes_version = -1
        with self._lock, write_transaction(self._db):
            _owners.register(self._db, self.owner_id, time.time())
        self._heartbeat(force=True)

    # -- owner liveness -----------------------------------------------------------------------

    def _heartbeat(self, *, force: bool = False) -> None:
        """Refresh our heartbeat and bury dead owners, at most once per heartbeat_interval."""
        now = time.time()
        if not force and now < self._next_heartbeat:
            return
        self._next_heartbeat = now + self.heartbeat_interval
        db = self._db
        with self._lock:
            dead = [
                owner
                for owner in _owners.find_dead(
                    db, now=now, visibility_timeout=self.visibility_timeout
                )
                if owner.id != self.owner_id
            ]
            with write_transaction(db):
                _owners.heartbeat(db, self.owner_id, now)
                burials = {owner.id: _owners.bury(db, owner, now) for owner in dead}
        for owner in dead:
            burial = burials[owner.id]
            if burial.released or burial.dropped_queues:
                # A channel that only publishes and then idles is buried too, harmlessly;
                # only burials that gave something back are worth an operator's attention.
                log.info(
                    "broker_owner_reclaimed",
                    owner=owner.id,
                    pid=owner.pid,
                    hostname=owner.hostname,
                    released=burial.released,
                    dropped_queues=list(burial.dropped_queues),
                )

    # -- topology -----------------------------------------------------------------------------

    def exchange_declare(  # noqa: PLR0917  # kombu's positional signature
        self,
        exchange: str | None = None,
        type: str = "direct",  # kombu's keyword name
        durable: bool = False,
        auto_delete: bool = False,
        arguments: dict[str, Any] | None = None,
        nowait: bool = False,
        passive: bool = False,
    ) -> None:
        kind = type or "direct"
        name = exchange or f"amq.{kind}"
        with self._lock, write_transaction(self._db):
            _topology.declare_exchange(
                self._db,
                name,
                kind,
                durable=durable,
                auto_delete=auto_delete,
                arguments=arguments,
                passive=passive,
            )

    def exchange_delete(self, exchange: str, if_unused: bool = False, nowait: bool = False) -> None:
        with self._lock, write_transaction(self._db):
            _topology.delete_exchange(self._db, exchange)

    def queue_declare(self, queue: str | None = None, passive: bool = False, **kwargs: Any) -> Any:
        name = queue or f"amq.gen-{uuid.uuid4()}"
        with self._lock, write_transaction(self._db):
            _topology.declare_queue(
                self._db,
                name,
                owner=self.owner_id,
                durable=bool(kwargs.get("durable", False)),
                exclusive=bool(kwargs.get("exclusive", False)),
                auto_delete=bool(kwargs.get("auto_delete", False)),
                arguments=kwargs.get("arguments"),
                passive=passive,
            )
            count = _messages.ready_count(self._db, name, time.time())
        return queue_declare_ok_t(name, count, 0)

    def queue_delete(
        self, queue: str, if_unused: bool = False, if_empty: bool = False, **kwargs: Any
    ) -> int:
        with self._lock, write_transaction(self._db):
            now = time.time()
            if if_empty and _messages.ready_count(self._db, queue, now):
                return 0
            deleted = _messages.delete_queue_messages(self._db, queue, now)
            _topology.delete_queue_definition(self._db, queue)
        self._buffers.pop(queue, None)
        return deleted

    def queue_bind(
        self,
        queue: str,
        exchange: str | None = None,
        routing_key: str = "",
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        with self._lock, write_transaction(self._db):
            _topology.bind(self._db, queue, exchange or "amq.direct", routing_key, arguments)

    def queue_unbind(
        self,
        queue: str,
        exchange: str | None = None,
        routing_key: str = "",
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        with self._lock, write_transaction(self._db):
            _topology.unbind(self._db, queue, exchange or "amq.direct", routing_key)

    def queue_purge(self, queue: str, **kwargs: Any) -> int:
        with self._lock, write_transaction(self._db):
            return _messages.purge(self._db, queue, time.time())

    def list_bindings(self) -> list[tuple[str, str, str]]:
        with self._lock:
            return _topology.bindings(self._db)

    def get_exchanges(self) -> list[str]:
        with self._lock:
            return _topology.exchange_names(self._db)

    def get_table(self, exchange: str) -> list[tuple[Any, ...]]:
        with self._lock:
            kind = _topology.exchange_type(self._db, exchange)
            if kind is None:
                raise KeyError(exchange)
            return [
                _topology.binding_entry(kind, exchange, key, queue)
                for queue, _, key in _topology.bindings(self._db, exchange)
            ]

    def typeof(self, exchange: str, default: str = "direct") -> Any:
        with self._lock:
            kind = _topology.exchange_type(self._db, exchange) or default
        return self.exchange_types[kind]

    def _has_queue(self, queue: str, **kwargs: Any) -> bool:
        with self._lock:
            return _topology.queue_exists(self._db, queue)

    def _size(self, queue: str) -> int:
        with self._lock:
            return _messages.ready_count(self._db, queue, time.time())

    def _purge(self, queue: str) -> int:
        return self.queue_purge(queue)

    def _delete(self, queue: str, *args: Any, **kwargs: Any) -> None:
        self.queue_delete(queue)

    # -- publishing ---------------------------------------------------------------------------

    def _next_delivery_tag(self) -> int:
        return 0  # the real tag is the row id, set when the message is delivered

    def basic_publish(
        self, message: dict[str, Any], exchange: str, routing_key: str, **kwargs: Any
    ) -> None:
        """Route and store ``message``; the commit before returning is the publisher confirm."""
        self._inplace_augment_message(message, exchange, routing_key)
        with self._lock, write_transaction(self._db):
            destinations = self._route(exchange, routing_key)
            _messages.insert(self._db, message, destinations, time.time())
        if not destinations and (exchange, routing_key) not in _UNROUTABLE_SEEN:
            # Events nobody subscribes to are dropped, as RabbitMQ does; said once per key so
            # a source publishing thousands of them does not drown the log.
            _UNROUTABLE_SEEN.add((exchange, routing_key))
            log.warning(
                "message_unroutable",
                exchange=exchange,
                routing_key=routing_key,
                detail="no queue is bound for it; such messages are dropped until one is",
            )
        self._heartbeat()

    def _route(self, exchange: str, routing_key: str) -> list[_topology.Destination]:
        """Destinations for a publish, cached until any process changes the topology."""
        version = _topology.version(self._db)
        if version != self._routes_version or len(self._routes) > _ROUTE_CACHE_SIZE:
            self._routes.clear()
            self._routes_version = version
        key = (exchange, routing_key)
        destinations = self._routes.get(key)
        if destinations is None:
            destinations = self._routes[key] = _topology.route(self._db, exchange, routing_key)
        return destinations

    def _put(self, queue: str, message: dict[str, Any], **kwargs: Any) -> None:
        with self._lock, write_transaction(self._db):
            destination = _topology.Destination(queue, "", queue)
            _messages.insert(self._db, message, [destination], time.time())

    # -- consuming ----------------------------------------------------------------------------

    def basic_consume(
        self, queue: str, no_ack: bool, callback: Any, consumer_tag: str, **kwargs: Any
    ) -> Any:
        if no_ack:
            self._no_ack_queues.add(queue)
        else:
            self._no_ack_queues.discard(queue)
        return super().basic_consume(queue, no_ack, callback, consumer_tag, **kwargs)

    def basic_cancel(self, consumer_tag: str) -> Any:
        queue = self._tag_to_queue.get(consumer_tag)
        result = super().basic_cancel(consumer_tag)
        if queue is not None and queue not in self._active_queues:
            self._release_buffer(queue)
        return result

    def basic_get(self, queue: str, no_ack: bool = False, **kwargs: Any) -> Any:
        deliveries = self._fetch(queue, limit=1, no_ack=no_ack)
        if not deliveries:
            return None
        payload = self._as_payload(deliveries[0])
        message = self.Message(payload, channel=self)
        if not no_ack:
            self.qos.append(message, message.delivery_tag)
        return message

    def _get(self, queue: str, timeout: float | None = None) -> dict[str, Any]:
        buffer = self._buffers.get(queue)
        if not buffer:
            estimate = self.qos.can_consume_max_estimate()
            limit = self.max_batch if estimate is None else max(1, min(estimate, self.max_batch))
            buffer = deque(self._fetch(queue, limit=limit, no_ack=queue in self._no_ack_queues))
            if not buffer:
                raise Empty()
            self._buffers[queue] = buffer
        return self._as_payload(buffer.popleft())

    def _fetch(self, queue: str, *, limit: int, no_ack: bool) -> list[Delivery]:
        self._heartbeat()
        with self._lock:
            if no_ack:
                return _messages.take(self._db, queue, limit, time.time())
            return _messages.reserve(self._db, queue, self.owner_id, limit, time.time())

    @staticmethod
    def _as_payload(delivery: Delivery) -> dict[str, Any]:
        payload = delivery.payload
        properties = payload["properties"]
        properties["delivery_tag"] = delivery.id
        properties["delivery_info"]["redelivered"] = delivery.redelivered
        return payload

    # -- settling -----------------------------------------------------------------------------

    def settle(self, row_id: int, *, requeue: bool) -> None:
        """Ack (delete), reject (delete) or requeue (release) one delivered row."""
        with self._lock:
            if requeue:
                done = _messages.release(self._db, [row_id], self.owner_id, redelivered=True) > 0
            else:
                done = _messages.delete(self._db, row_id, self.owner_id)
        if not done:
            # Our heartbeat went stale and another consumer got the message; it is not lost,
            # but the handler ran longer than visibility_timeout allows.
            log.warning(
                "message_settled_after_reclaim",
                delivery_tag=row_id,
                visibility_timeout=self.visibility_timeout,
            )
        self._heartbeat()

    def _release_buffer(self, queue: str) -> None:
        buffer = self._buffers.pop(queue, None)
        if buffer and self._open:
            with self._lock:
                ids = [delivery.id for delivery in buffer]
                _messages.release(self._db, ids, self.owner_id, redelivered=False)

    def release_held(self) -> None:
        """Release everything this channel holds: delivered-unacked and prefetched rows."""
        if not self._open:
            return
        for queue in list(self._buffers):
            self._release_buffer(queue)
        with self._lock:
            _messages.release_owner(self._db, self.owner_id)

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        if not self._open:
            return
        with self._lock:
            try:
                for queue in list(self._buffers):
                    self._release_buffer(queue)
                with write_transaction(self._db):
                    _owners.bury(self._db, self.owner_id, time.time())
            finally:
                self._open = False
                self._db.close()
