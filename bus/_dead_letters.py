"""Dead-letter queues for operators: browse them, replay a message to the queue it came from
once its cause is fixed, or discard it with a reason. Every replay and discard is journaled
and written to the audit log.

Browsing takes messages without acknowledging them and closes the channel, which puts them
back: nothing is removed by looking. A replay publishes the original body, confirmed, to its
original queue (not to the exchange, so no other subscriber gets it twice) before the dead
letter is acknowledged; a crash in between leaves a copy in both, and the consumer's
idempotency drops the second. A message replayed is no longer in the queue, so a second replay
of it is refused with who replayed it and when.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kombu import Connection, Queue
from kombu.message import Message

from bus._audit import AuditLog
from bus._journal import Hop
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
from schemas import Envelope, InvalidMessage

if TYPE_CHECKING:
    from bus._runtime import Bus

HEADER_REPLAYS = "x-civicbus-replays"
HEADER_REPLAYED_BY = "x-civicbus-replayed-by"
_DEAD_LETTER_HEADERS = {
    HEADER_REASON,
    HEADER_ERROR,
    HEADER_EXCEPTION,
    HEADER_CONSUMER,
    HEADER_ORIGINAL_EXCHANGE,
    HEADER_ORIGINAL_ROUTING_KEY,
    HEADER_ORIGINAL_QUEUE,
    HEADER_DEAD_LETTERED_AT,
}


class DeadLetterNotFound(LookupError):
    """The message is not (or no longer) in that dead-letter queue."""


@dataclass(frozen=True)
class DeadLetter:
    """One message in a dead-letter queue, as it was dead-lettered."""

    queue: str
    message_id: str
    body: bytes
    headers: dict[str, Any] = field(repr=False)
    envelope: Envelope | None = field(default=None, repr=False)

    @property
    def reason(self) -> str | None:
        return _text(self.headers.get(HEADER_REASON))

    @property
    def error(self) -> str | None:
        return _text(self.headers.get(HEADER_ERROR))

    @property
    def consumer(self) -> str | None:
        return _text(self.headers.get(HEADER_CONSUMER))

    @property
    def original_queue(self) -> str | None:
        return _text(self.headers.get(HEADER_ORIGINAL_QUEUE))

    @property
    def dead_lettered_at(self) -> str | None:
        return _text(self.headers.get(HEADER_DEAD_LETTERED_AT))

    @property
    def attempts(self) -> int:
        return int(self.headers.get(HEADER_DELIVERY, 1))

    @property
    def replays(self) -> int:
        return int(self.headers.get(HEADER_REPLAYS, 0))

    def summary(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "message_id": self.message_id,
            "type": self.envelope.type if self.envelope else None,
            "reason": self.reason,
            "error": self.error,
            "consumer": self.consumer,
            "original_queue": self.original_queue,
            "dead_lettered_at": self.dead_lettered_at,
            "attempts": self.attempts,
            "replays": self.replays,
        }


class DeadLetters:
    """The dead-letter queues of one bus."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._url = bus.settings.broker
        self.audit = AuditLog(bus.settings.state)

    def depth(self, queue: str) -> int:
        with Connection(self._url, connect_timeout=5) as connection:
            _name, count, _consumers = connection.channel().queue_declare(queue, passive=True)
        return int(count)

    def browse(self, queue: str, *, limit: int = 100) -> list[DeadLetter]:
        """Up to `limit` messages of `queue`, oldest first; they all stay in the queue."""
        with self._held(queue, limit) as held:
            return [letter for letter, _message in held]

    def find(self, queue: str, message_id: str) -> DeadLetter:
        for letter in self.browse(queue, limit=100_000):
            if letter.message_id == message_id:
                return letter
        raise self._not_found(queue, message_id)

    def replay(
        self, queue: str, message_ids: list[str] | None, *, operator: str, reason: str
    ) -> list[str]:
        """Send the messages (all of `queue` when `message_ids` is None) back to the queues
        they came from; the ids replayed. Raises DeadLetterNotFound for an id not there."""
        return self._act(
            queue,
            message_ids,
            operator=operator,
            reason=reason,
            action="replay",
            effect=self._send_back,
        )

    def discard(
        self, queue: str, message_ids: list[str], *, operator: str, reason: str
    ) -> list[str]:
        """Remove the messages from `queue` for good, saying why."""
        return self._act(
            queue,
            message_ids,
            operator=operator,
            reason=reason,
            action="discard",
            effect=lambda _letter, _operator: None,
        )

    def close(self) -> None:
        self.audit.close()

    # -- acting on held messages ----------------------------------------------------------

    def _act(
        self,
        queue: str,
        message_ids: list[str] | None,
        *,
        operator: str,
        reason: str,
        action: str,
        effect: Callable[[DeadLetter, str], None],
    ) -> list[str]:
        if not reason.strip():
            raise ValueError(f"say why you {action} (a reason is kept in the audit log)")
        wanted = None if message_ids is None else set(message_ids)
        done: list[str] = []
        with self._held(queue, None) as held:
            present = {letter.message_id for letter, _message in held}
            missing = sorted((wanted or set()) - present)
            if missing:
                raise self._not_found(queue, missing[0])
            for letter, message in held:
                if wanted is not None and letter.message_id not in wanted:
                    continue
                at = datetime.now(UTC)  # the hop's time: before the consumer can see the copy
                effect(letter, operator)
                message.ack()  # only after the effect: a failure leaves it in the queue
                self._record(letter, operator, action, reason, at)
                done.append(letter.message_id)
        return done

    def _send_back(self, letter: DeadLetter, operator: str) -> None:
        target = letter.original_queue
        if not target:
            raise ValueError(
                f"{letter.message_id} in {letter.queue} does not say which queue it came from; "
                "it cannot be replayed — publish it again by hand, or discard it"
            )
        headers = {k: v for k, v in letter.headers.items() if k not in _DEAD_LETTER_HEADERS}
        headers |= {
            HEADER_DELIVERY: 1,
            HEADER_REPLAYS: letter.replays + 1,
            HEADER_REPLAYED_BY: operator,
        }
        properties = {"message_id": letter.message_id}
        if letter.envelope is not None:
            properties["correlation_id"] = letter.envelope.correlationid
            properties["type"] = letter.envelope.type
        with self._bus.publisher() as publisher:
            publisher.send(
                [
                    Outgoing(
                        body=letter.body,
                        exchange="",
                        routing_key=target,
                        headers=headers,
                        properties=properties,
                    )
                ]
            )

    def _record(
        self, letter: DeadLetter, operator: str, action: str, reason: str, at: datetime
    ) -> None:
        detail = {"queue": letter.queue, "operator": operator, "reason": reason}
        if action == "replay":
            detail["to"] = letter.original_queue or ""
        self.audit.record(
            operator,
            action,
            reason=reason,
            message_id=letter.message_id,
            queue=letter.queue,
            detail={"original_queue": letter.original_queue, "dead_letter_reason": letter.reason},
        )
        journal = self._bus.journal
        if journal is not None:
            hop = Hop.REPLAYED if action == "replay" else Hop.DISCARDED
            journal.hop(letter.message_id, hop, consumer=letter.consumer, detail=detail, at=at)

    def _not_found(self, queue: str, message_id: str) -> DeadLetterNotFound:
        history = self.audit.entries(message_id=message_id, limit=1)
        if history:
            last = history[0]
            when = last.at.astimezone(UTC).isoformat(timespec="seconds")
            return DeadLetterNotFound(
                f"{message_id} is not in {queue}: it was {last.action}ed by {last.operator} at "
                f"{when} ({last.reason}); see `civicbus messages show {message_id}`"
            )
        return DeadLetterNotFound(
            f"{message_id} is not in {queue}; list what is there with `civicbus dlq list {queue}`"
        )

    @contextmanager
    def _held(self, queue: str, limit: int | None) -> Iterator[list[tuple[DeadLetter, Message]]]:
        """The messages of `queue` taken without acknowledging them; those not acknowledged in
        the block go back to the queue when its channel closes."""
        with Connection(self._url, connect_timeout=5) as connection:
            channel = connection.channel()
            bound = Queue(queue)(channel)
            bound.queue_declare(passive=True)
            held: list[tuple[DeadLetter, Message]] = []
            try:
                while limit is None or len(held) < limit:
                    message = bound.get(no_ack=False)
                    if message is None:
                        break
                    held.append((_letter(queue, message), message))
                yield held
            finally:
                channel.close()


def _letter(queue: str, message: Message) -> DeadLetter:
    body = raw_body(message)
    headers = dict(message.headers or {})
    try:
        envelope: Envelope | None = Envelope.from_json(body)
    except InvalidMessage:
        envelope = None  # kept as it came; an operator can still see and discard it
    properties = getattr(message, "properties", {}) or {}
    message_id = (
        envelope.id
        if envelope is not None
        else str(properties.get("message_id") or f"undecodable-{message.delivery_tag}")
    )
    return DeadLetter(queue, message_id, body, headers, envelope)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
