"""Publishing with publisher confirms, pipelined.

Raw kombu with `confirm_publish` waits one broker round trip per message. The publisher here
puts a whole batch on the wire and then waits once for the broker's acks (AMQP confirms carry
delivery tags, and `multiple` acks cover ranges), so the round trip is paid per batch. A batch
is only reported published when every message in it was confirmed; when the connection drops
the unconfirmed ones are sent again on a new connection (consumers drop the duplicates by id).
On the embedded broker each publish is a committed write, which is its confirm.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import amqp
import structlog
from kombu import Connection, Producer
from kombu.exceptions import OperationalError as KombuOperationalError
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from bus._errors import BrokerUnavailable, PublishError
from bus._journal import Hop
from bus._metrics import PUBLISHED
from bus._wire import CLOUDEVENTS_JSON, Outgoing
from schemas import FieldProblem, InvalidMessage

if TYPE_CHECKING:
    from bus._journal import Journal
    from bus._topology import Topology
    from schemas import Envelope, SchemaRegistry

log = structlog.get_logger("civicbus.publisher")


class Publisher:
    """Validates envelopes and hands them to the broker, returning once the broker has them."""

    def __init__(
        self,
        url: str,
        topology: Topology,
        *,
        registry: SchemaRegistry | None = None,
        journal: Journal | None = None,
        max_message_bytes: int = 1_048_576,
        confirm_timeout: float = 30.0,
        connect_timeout: float = 30.0,
        confirm: bool = True,
    ) -> None:
        self._url = url
        self._confirm = confirm
        self._topology = topology
        self._registry = registry
        self._journal = journal
        self._max_bytes = max_message_bytes
        self._confirm_timeout = confirm_timeout
        self._connect_timeout = connect_timeout
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._confirms = False
        self._amqp_channel: amqp.Channel | None = None
        self._next_tag = 1
        self._pending: dict[int, Outgoing] = {}
        self._nacked: list[Outgoing] = []

    # -- public ---------------------------------------------------------------------------

    def publish(self, envelope: Envelope) -> None:
        """Validate and publish one event; raises InvalidMessage (nothing sent) or
        PublishError (the broker did not take it)."""
        self.publish_many([envelope])

    @property
    def exchange_name(self) -> str:
        return str(self._topology.exchange.name)

    def publish_many(
        self,
        envelopes: Iterable[Envelope],
        *,
        window: int = 1000,
        validated: bool = False,
        routes: dict[str, tuple[str, str]] | None = None,
    ) -> int:
        """Validate every envelope first, then publish them in confirmed batches of `window`.

        `validated=True` skips the schema check for envelopes built from payload models
        (`registry.envelope`), which were validated when the model was made. `routes` gives
        (exchange, routing key) by envelope id for those not published under their type.
        """
        batch = [self._prepare(envelope, validated=validated) for envelope in envelopes]
        for message in batch if routes else ():
            assert message.envelope is not None
            route = routes.get(message.envelope.id) if routes else None
            if route is not None:
                message.exchange, message.routing_key = route
        for start in range(0, len(batch), window):
            self.send(batch[start : start + window])
        return len(batch)

    def send(self, messages: list[Outgoing]) -> None:
        """Hand prepared messages to the broker and wait until all are confirmed."""
        handed_over = datetime.now(UTC)  # the hop's time: when the broker was given it
        try:
            self._send_once(messages)
        except _ConnectionLost as lost:
            self._send_again(lost.unconfirmed)
        for message in messages:
            if message.envelope is not None:
                PUBLISHED.labels(message.envelope.type).inc()
            if message.envelope is not None and self._journal is not None:
                self._journal.message(message.envelope)
                self._journal.hop(message.envelope.id, Hop.PUBLISHED, at=handed_over)

    def _send_again(self, unconfirmed: list[Outgoing]) -> None:
        """After a lost connection: reconnect with backoff and send what was not confirmed."""
        retrying = Retrying(
            retry=retry_if_exception_type(_ConnectionLost),
            stop=stop_after_delay(self._connect_timeout),
            wait=wait_exponential(multiplier=0.2, max=2.0),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    try:
                        self._send_once(unconfirmed)
                    except _ConnectionLost as lost:
                        unconfirmed = lost.unconfirmed
                        raise
        except _ConnectionLost as exc:
            raise BrokerUnavailable(
                f"the broker at {self._safe_url} could not be reached for "
                f"{self._connect_timeout:.0f}s ({exc.__cause__}); {len(unconfirmed)} message(s) "
                "were not published: check the broker (`civicbus doctor`) and publish again"
            ) from exc

    def close(self) -> None:
        if self._connection is not None:
            self._connection.release()
        self._connection = None
        self._producer = None

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------

    def _prepare(self, envelope: Envelope, *, validated: bool = False) -> Outgoing:
        if self._registry is not None and not validated:
            self._registry.validate(envelope)
        body = envelope.to_json()
        if len(body) > self._max_bytes:
            problem = FieldProblem(
                "<message>",
                f"the message is {len(body)} bytes, over the limit of {self._max_bytes}; send a "
                "reference to the data instead (claim check) or raise max_message_bytes",
            )
            raise InvalidMessage([problem])
        return Outgoing.event(envelope, exchange=self._topology.exchange.name, body=body)

    def _send_once(self, messages: list[Outgoing]) -> None:
        producer = self._ensure_producer(messages)
        sent = 0
        try:
            for message in messages:
                self._pending[self._next_tag] = message
                self._next_tag += 1
                self._publish_one(producer, message)
                sent += 1
            if self._confirms:
                self._wait_for_confirms()
            else:
                self._pending.clear()
        except _recoverable_errors(self._connection) as exc:
            unconfirmed = list(self._pending.values()) + messages[sent:]
            self._drop_connection()
            log.warning("broker_connection_lost", unconfirmed=len(unconfirmed), error=str(exc))
            raise _ConnectionLost(unconfirmed) from exc
        if self._nacked:
            nacked, self._nacked = self._nacked, []
            raise PublishError(
                f"the broker refused {len(nacked)} message(s) (basic.nack); they were not "
                "published: check the broker's logs for disk or memory alarms and publish again"
            )

    def _publish_one(self, producer: Producer, message: Outgoing) -> None:
        delivery_mode = 2 if message.persistent else 1
        if self._amqp_channel is not None:
            # Straight onto py-amqp's channel: kombu's Producer re-derives serialisation and
            # compression for every message, which the body (already JSON bytes) never needs.
            self._amqp_channel.basic_publish(
                amqp.Message(
                    message.body,
                    content_type=CLOUDEVENTS_JSON,
                    content_encoding="utf-8",
                    delivery_mode=delivery_mode,
                    application_headers=message.headers,
                    **message.properties,
                ),
                exchange=message.exchange,
                routing_key=message.routing_key,
            )
            return
        producer.publish(
            message.body,
            exchange=message.exchange,
            routing_key=message.routing_key,
            headers=message.headers,
            content_type=CLOUDEVENTS_JSON,
            content_encoding="utf-8",
            delivery_mode=delivery_mode,
            retry=False,
            **message.properties,
        )

    def _wait_for_confirms(self) -> None:
        assert self._connection is not None
        deadline = time.monotonic() + self._confirm_timeout
        while self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PublishError(
                    f"{len(self._pending)} message(s) were not confirmed by the broker within "
                    f"{self._confirm_timeout}s; the broker may be overloaded — publish again"
                )
            try:
                self._connection.drain_events(timeout=min(remaining, 1.0))
            except TimeoutError:  # socket.timeout is TimeoutError: no confirm yet
                continue

    def _ensure_producer(self, messages: list[Outgoing]) -> Producer:
        if self._producer is not None:
            return self._producer
        connection = Connection(self._url, connect_timeout=5)
        try:
            connection.ensure_connection(max_retries=1)
            channel = connection.channel()
            self._topology.exchange.declare(channel=channel)
        except _recoverable_errors(connection) as exc:
            connection.release()
            raise _ConnectionLost(messages) from exc
        is_amqp = hasattr(channel, "confirm_select")
        self._amqp_channel = channel if is_amqp else None
        self._confirms = self._confirm and is_amqp
        if self._confirms:
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
        self._next_tag = 1
        self._pending = {}
        self._connection = connection
        self._producer = Producer(channel)
        return self._producer

    def _drop_connection(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception as exc:
                log.debug("broker_connection_close_failed", error=str(exc))

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        for tag in self._settled(delivery_tag, multiple):
            self._pending.pop(tag, None)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        for tag in self._settled(delivery_tag, multiple):
            message = self._pending.pop(tag, None)
            if message is not None:
                self._nacked.append(message)

    def _settled(self, delivery_tag: int, multiple: bool) -> list[int]:
        if not multiple:
            return [delivery_tag]
        return [tag for tag in self._pending if tag <= delivery_tag]

    @property
    def _safe_url(self) -> str:
        return str(Connection(self._url).as_uri())  # hides the password


class _ConnectionLost(Exception):
    def __init__(self, unconfirmed: list[Outgoing]) -> None:
        super().__init__(f"{len(unconfirmed)} unconfirmed")
        self.unconfirmed = unconfirmed


def _recoverable_errors(connection: Connection | None) -> tuple[type[BaseException], ...]:
    # kombu re-raises a failed connect as its own OperationalError.
    errors: tuple[type[BaseException], ...] = (ConnectionError, OSError, KombuOperationalError)
    if connection is not None:
        errors += tuple(connection.recoverable_connection_errors)
        errors += tuple(connection.connection_errors)
    return errors
