"""What happens to one delivered message: parse, validate, handle once, retry or dead-letter.

Every path ends in exactly one of: handled (ack), duplicate (ack), redelivered later through
a delay line (ack after the copy is confirmed), or dead-lettered with its original body and the
reason (ack after the dead letter is confirmed). Nothing is acked before the broker holds what
replaces it, so a crash at any point leaves the message on the broker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy
import sqlalchemy.exc
import structlog
from kombu.message import Message
from pydantic import BaseModel
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from bus._delivery import Delivery, Destination, Handler
from bus._errors import PermanentError, TransientError
from bus._journal import Hop
from bus._json_schema import CanonicalData
from bus._logging import bind_message
from bus._metrics import CONSUMED, HANDLER_SECONDS
from bus._tracing import span
from bus._wire import (
    HEADER_CONSUMER,
    HEADER_DEAD_LETTERED_AT,
    HEADER_DELIVERY,
    HEADER_ERROR,
    HEADER_EXCEPTION,
    HEADER_ORIGINAL_EXCHANGE,
    HEADER_ORIGINAL_QUEUE,
    HEADER_ORIGINAL_ROUTING_KEY,
    HEADER_REASON,
    Outgoing,
    raw_body,
)
from schemas import Envelope, InvalidMessage, UnknownSchema

if TYPE_CHECKING:
    from bus._idempotency import IdempotencyStore
    from bus._journal import Journal
    from bus._publisher import Publisher
    from bus._settings import RetrySettings
    from bus._topology import ConsumerQueues
    from schemas import SchemaRegistry

log = structlog.get_logger("civicbus.consumer")


@dataclass
class _Emitted:
    """What a batch's handlers asked to publish, and where, for the ones not under their type."""

    envelopes: list[Envelope] = field(default_factory=list)
    destinations: dict[str, Destination] = field(default_factory=dict)


class _Admitted(NamedTuple):
    """A delivered message that is a valid canonical message, ready for the handler."""

    message: Message
    body: bytes
    envelope: Envelope
    payload: BaseModel
    attempt: int
    redelivered: bool


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientError,
    ConnectionError,
    TimeoutError,
    sqlalchemy.exc.OperationalError,  # lost connection, lock timeout, "database is locked"
)


class Processor:
    """Turns one broker message into one outcome for one consumer."""

    def __init__(
        self,
        consumer: str,
        handler: Handler,
        *,
        queues: ConsumerQueues,
        registry: SchemaRegistry,
        idempotency: IdempotencyStore,
        publisher: Publisher,
        journal: Journal | None,
        retry: RetrySettings,
        max_message_bytes: int,
        is_transient: Callable[[BaseException], bool] | None = None,
        unknown_types: bool = False,
    ) -> None:
        self.consumer = consumer
        self._unknown_types = unknown_types
        self._handler = handler
        self._queues = queues
        self._registry = registry
        self._idempotency = idempotency
        self._publisher = publisher
        self._journal = journal
        self._retry = retry
        self._max_bytes = max_message_bytes
        self._is_transient = is_transient or _default_is_transient

    def close(self) -> None:
        self._publisher.close()

    def __call__(self, message: Message) -> None:
        self.process([message])

    def process(self, messages: list[Message]) -> None:
        """Handle a batch of delivered messages.

        The batch shares one database transaction, each message in its own savepoint, so the
        commit (and the idempotency records) are paid once per batch; a failing message rolls
        back only its own savepoint. Acks follow the commit: a crash before it brings every
        message of the batch back, and none of them was recorded as handled.
        """
        admitted = [item for item in map(self._admit, messages) if item is not None]
        if not admitted:
            return
        handled: list[tuple[_Admitted, bool, float]] = []
        failed: list[tuple[_Admitted, Exception]] = []
        emitted = _Emitted()
        with self._idempotency.unit() as connection:
            for item in admitted:
                started = time.perf_counter()
                with bind_message(item.envelope, consumer=self.consumer):
                    try:
                        duplicate = self._handle_with_retries(connection, item, emitted)
                    except Exception as exc:
                        failed.append((item, exc))
                        continue
                handled.append((item, duplicate, (time.perf_counter() - started) * 1000))
            if emitted.envelopes:
                # Published before the commit: a crash in between re-runs the handlers, which
                # emit the same ids again, and downstream consumers drop the copies.
                # Validated as they were made (Delivery.emit and Delivery.send).
                self._publisher.publish_many(
                    emitted.envelopes, validated=True, routes=self._routes(emitted.destinations)
                )
        for item, error in failed:
            with bind_message(item.envelope, consumer=self.consumer):
                self._fail(item, error)
        _ack_together([item.message for item, _duplicate, _elapsed in handled])
        for item, duplicate, elapsed in handled:
            hop = Hop.DUPLICATE if duplicate else Hop.HANDLED
            CONSUMED.labels(self.consumer, hop.value).inc()
            HANDLER_SECONDS.labels(self.consumer).observe(elapsed / 1000)
            if self._journal is not None:
                self._journal.hop(
                    item.envelope.id,
                    hop,
                    consumer=self.consumer,
                    attempt=item.attempt,
                    duration_ms=elapsed,
                )

    def _routes(self, destinations: dict[str, Destination]) -> dict[str, tuple[str, str]]:
        """(exchange, routing key) of the envelopes that do not go out under their type."""
        routes: dict[str, tuple[str, str]] = {}
        for envelope_id, destination in destinations.items():
            if destination.delay is not None:
                line = self._queues.delay_lines.get(destination.delay)
                if line is None:
                    raise ValueError(
                        f"{self.consumer} has no {destination.delay}s delay line; subscribe "
                        f"it with delays=[{destination.delay}]"
                    )
                routes[envelope_id] = ("", line.name)
            elif destination.channel is not None:
                routes[envelope_id] = (self._publisher.exchange_name, destination.channel)
        return routes

    # -- admission: is this a valid canonical message at all? ------------------------------

    def _admit(self, message: Message) -> _Admitted | None:
        body = raw_body(message)
        attempt = int((message.headers or {}).get(HEADER_DELIVERY, 1))
        try:
            envelope = Envelope.from_json(body, max_bytes=self._max_bytes)
        except InvalidMessage as exc:
            self._dead_letter(message, body, reason="invalid_envelope", error=exc, attempt=attempt)
            return None
        if self._journal is not None:
            self._journal.message(envelope)
            self._journal.hop(envelope.id, Hop.DELIVERED, consumer=self.consumer, attempt=attempt)
        try:
            payload = self._read(envelope)
        except InvalidMessage as exc:
            reason = "unknown_schema" if isinstance(exc, UnknownSchema) else "invalid_payload"
            with bind_message(envelope, consumer=self.consumer):
                self._dead_letter(
                    message, body, reason=reason, error=exc, attempt=attempt, envelope=envelope
                )
            return None
        redelivered = bool(message.delivery_info.get("redelivered")) or attempt > 1
        return _Admitted(message, body, envelope, payload, attempt, redelivered)

    def _read(self, envelope: Envelope) -> BaseModel:
        if self._unknown_types and envelope.type not in self._registry:
            return CanonicalData.model_validate(
                envelope.data if isinstance(envelope.data, dict) else {"value": envelope.data}
            )
        return self._registry.read(envelope)

    # -- handling -------------------------------------------------------------------------

    def _handle_with_retries(
        self, connection: sqlalchemy.Connection, item: _Admitted, emitted: _Emitted
    ) -> bool:
        try:
            return self._handle_in(connection, item, emitted)
        except Exception as exc:
            if not self._is_transient(exc) or self._retry.in_process_attempts < 2:
                raise
            log.info("message_retrying", attempt=1, error=_describe(exc))
        # The common case above skips tenacity's machinery; only failures pay for it.
        time.sleep(self._retry.in_process_wait_initial)
        return self._retrying()(self._handle_in, connection, item, emitted)

    def _retrying(self) -> Retrying:
        return Retrying(
            retry=retry_if_exception(self._is_transient),
            stop=stop_after_attempt(self._retry.in_process_attempts - 1),
            wait=wait_exponential_jitter(
                multiplier=self._retry.in_process_wait_initial,
                jitter=self._retry.in_process_wait_initial,
                max=self._retry.in_process_wait_max,
            ),
            before_sleep=_log_retry,
            reraise=True,
        )

    def _handle_in(
        self, connection: sqlalchemy.Connection, item: _Admitted, emitted: _Emitted
    ) -> bool:
        """Run the handler once inside a savepoint; True when it was a duplicate."""
        with self._idempotency.claim_in(connection, self.consumer, item.envelope.id) as claim:
            if claim.duplicate:
                return True
            delivery = Delivery(
                envelope=item.envelope,
                payload=item.payload,
                consumer=self.consumer,
                attempt=item.attempt,
                redelivered=item.redelivered,
                transaction=claim.connection,
                registry=self._registry,
            )
            with span(
                f"consume {self.consumer}",
                item.envelope.traceparent,
                "consumer",
                **{"messaging.message.id": item.envelope.id, "civicbus.type": item.envelope.type},
            ):
                self._handler(delivery)
        emitted.envelopes.extend(delivery.emitted)
        emitted.destinations.update(delivery.destinations)
        return False

    def _fail(self, item: _Admitted, exc: Exception) -> None:
        if self._is_transient(exc) and item.attempt < self._retry.max_deliveries:
            self._redeliver_later(item.message, item.body, item.envelope, item.attempt, exc)
            return
        reason = "retries_exhausted" if self._is_transient(exc) else "handler_failed"
        self._dead_letter(
            item.message,
            item.body,
            reason=reason,
            error=exc,
            attempt=item.attempt,
            envelope=item.envelope,
        )

    # -- the two ways a message leaves without being handled -------------------------------

    def _redeliver_later(
        self, message: Message, body: bytes, envelope: Envelope, attempt: int, exc: BaseException
    ) -> None:
        delay = self._retry.redelivery_delays[attempt - 1]
        line = self._queues.delay_lines[delay]
        headers = {**(message.headers or {}), HEADER_DELIVERY: attempt + 1}
        self._publisher.send([_copy(message, body, routing_key=line.name, headers=headers)])
        message.ack()
        CONSUMED.labels(self.consumer, Hop.RETRIED.value).inc()
        if self._journal is not None:
            self._journal.hop(
                envelope.id,
                Hop.RETRIED,
                consumer=self.consumer,
                attempt=attempt,
                error=_describe(exc),
                detail={"delay_s": delay},
            )
        log.warning(
            "message_redelivery_scheduled", attempt=attempt, delay_s=delay, error=_describe(exc)
        )

    def _dead_letter(
        self,
        message: Message,
        body: bytes,
        *,
        reason: str,
        error: BaseException,
        attempt: int,
        envelope: Envelope | None = None,
    ) -> None:
        headers = {
            **(message.headers or {}),
            HEADER_REASON: reason,
            HEADER_ERROR: _describe(error)[:4000],
            HEADER_EXCEPTION: f"{type(error).__module__}.{type(error).__qualname__}",
            HEADER_DELIVERY: attempt,
            HEADER_CONSUMER: self.consumer,
            HEADER_ORIGINAL_EXCHANGE: message.delivery_info.get("exchange") or "",
            HEADER_ORIGINAL_ROUTING_KEY: message.delivery_info.get("routing_key") or "",
            HEADER_ORIGINAL_QUEUE: self._queues.work.name,
            HEADER_DEAD_LETTERED_AT: datetime.now(UTC).isoformat(),
        }
        dead = _copy(message, body, routing_key=self._queues.dead_letters.name, headers=headers)
        self._publisher.send([dead])
        message.ack()
        CONSUMED.labels(self.consumer, Hop.DEAD_LETTERED.value).inc()
        message_id = envelope.id if envelope else message.properties.get("message_id")
        if self._journal is not None and message_id:
            self._journal.hop(
                message_id,
                Hop.DEAD_LETTERED,
                consumer=self.consumer,
                attempt=attempt,
                error=_describe(error),
                detail={"reason": reason, "queue": self._queues.dead_letters.name},
            )
        log.error(
            "message_dead_lettered",
            reason=reason,
            attempts=attempt,
            error=_describe(error),
            message_id=message_id,
            consumer=self.consumer,
        )


def _ack_together(messages: list[Message]) -> None:
    """Ack a batch; on AMQP with one `multiple` ack of the highest delivery tag.

    Every message delivered before that tag on this channel is settled by then: earlier
    batches were, and in this one the rest were dead-lettered or delayed (and acked) already.
    """
    if not messages:
        return
    channel = messages[0].channel
    if len(messages) == 1 or not hasattr(channel, "confirm_select"):  # not AMQP: one by one
        for message in messages:
            message.ack()
        return
    channel.basic_ack(max(message.delivery_tag for message in messages), multiple=True)
    for message in messages:
        message._state = "ACK"


def _copy(message: Message, body: bytes, *, routing_key: str, headers: dict[str, Any]) -> Outgoing:
    """The message as it arrived (body untouched), addressed to one queue by name."""
    kept = ("message_id", "correlation_id", "type", "timestamp")
    properties = {key: message.properties[key] for key in kept if message.properties.get(key)}
    return Outgoing(
        body=body, exchange="", routing_key=routing_key, headers=headers, properties=properties
    )


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _default_is_transient(exc: BaseException) -> bool:
    if isinstance(exc, PermanentError):
        return False
    return isinstance(exc, TRANSIENT_ERRORS)


def _log_retry(state: Any) -> None:
    log.info(
        "message_retrying",
        attempt=state.attempt_number + 1,  # the first attempt ran before tenacity
        error=_describe(state.outcome.exception()) if state.outcome else None,
    )
