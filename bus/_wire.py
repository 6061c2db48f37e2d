"""How an envelope sits in a broker message: body, properties and civicbus headers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schemas import Envelope

CLOUDEVENTS_JSON = "application/cloudevents+json"

# 1-based number of the delivery this copy is, counting broker-delayed redeliveries.
HEADER_DELIVERY = "x-civicbus-delivery"
HEADER_REASON = "x-civicbus-reason"
HEADER_ERROR = "x-civicbus-error"
HEADER_EXCEPTION = "x-civicbus-exception"
HEADER_CONSUMER = "x-civicbus-consumer"
HEADER_ORIGINAL_EXCHANGE = "x-civicbus-original-exchange"
HEADER_ORIGINAL_ROUTING_KEY = "x-civicbus-original-routing-key"
HEADER_ORIGINAL_QUEUE = "x-civicbus-original-queue"
HEADER_DEAD_LETTERED_AT = "x-civicbus-dead-lettered-at"


@dataclass
class Outgoing:
    """One message ready to hand to the broker, with what the journal needs to know of it."""

    body: bytes
    exchange: str
    routing_key: str
    headers: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    envelope: Envelope | None = None
    persistent: bool = True  # replies to a waiting caller need not survive a broker restart

    @classmethod
    def event(cls, envelope: Envelope, *, exchange: str, body: bytes | None = None) -> Outgoing:
        return cls(
            body=envelope.to_json() if body is None else body,
            exchange=exchange,
            routing_key=envelope.type,
            headers={HEADER_DELIVERY: 1},
            properties=envelope_properties(envelope),
            envelope=envelope,
        )


def envelope_properties(envelope: Envelope) -> dict[str, Any]:
    """The broker's own message properties, so tools that never parse the body still see ids."""
    return {
        "message_id": envelope.id,
        "correlation_id": envelope.correlationid,
        "type": envelope.type,
        "timestamp": int(envelope.time.timestamp()),
    }


def raw_body(message: Any) -> bytes:
    """A received kombu message's body as bytes (virtual transports may hand back str)."""
    body = message.body
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)
