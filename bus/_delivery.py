"""What a handler receives: the envelope, its validated payload, and a transaction to join."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from schemas import child_traceparent

if TYPE_CHECKING:
    import sqlalchemy
    from pydantic import BaseModel

    from schemas import Envelope, SchemaRegistry

# Follow-up events get ids derived from the message that caused them, so a handler that runs
# again after a crash emits the same ids and downstream consumers drop the copies.
_EMIT_NAMESPACE = uuid.UUID("6f1c2d0e-8a4b-4c55-9a53-63e1c1b0f2aa")


@dataclass
class Delivery:
    """One message handed to one consumer's handler.

    Writes made through `transaction` commit atomically with the consumer's record that this
    message id was handled, so a redelivered message never applies them twice.
    """

    envelope: Envelope
    payload: BaseModel
    consumer: str
    attempt: int
    redelivered: bool
    transaction: sqlalchemy.Connection
    registry: SchemaRegistry
    emitted: list[Envelope] = field(default_factory=list)
    # Envelopes that go somewhere other than the events exchange under their type: a
    # channel's routing key, or a delay line of this consumer. By envelope id.
    destinations: dict[str, Destination] = field(default_factory=dict)

    def emit(self, payload: BaseModel, *, subject: str | None = None) -> Envelope:
        """Publish a follow-up event once this message is handled (same correlation id)."""
        index = len(self.emitted)
        envelope = self.registry.envelope(
            payload,
            source=f"civicbus://consumer/{self.consumer}",
            subject=subject if subject is not None else self.envelope.subject,
            correlationid=self.envelope.correlationid,
            causationid=self.envelope.id,
            traceparent=child_traceparent(self.envelope.traceparent),
            id=str(uuid.uuid5(_EMIT_NAMESPACE, f"{self.consumer}/{self.envelope.id}/{index}")),
        )
        self.emitted.append(envelope)
        return envelope

    def send(
        self, envelope: Envelope, *, channel: str | None = None, delay: float | None = None
    ) -> None:
        """Publish a ready-made envelope once this message is handled: on the events exchange
        under `channel` (default its type), or after `delay` seconds back into this
        consumer's own queue (the consumer must have been subscribed with that delay).

        The envelope is validated now: an invalid one raises InvalidMessage in the handler,
        which dead-letters the message being handled and publishes nothing of it."""
        self.registry.validate(envelope)
        self.emitted.append(envelope)
        if channel is not None or delay is not None:
            self.destinations[envelope.id] = Destination(channel=channel, delay=delay)


@dataclass(frozen=True)
class Destination:
    channel: str | None = None
    delay: float | None = None


Handler = Callable[[Delivery], None]
