"""What the journal returns: a message with its hops, as plain frozen values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Hop(StrEnum):
    """One step in a message's life that the journal records."""

    PUBLISHED = "published"
    DELIVERED = "delivered"
    HANDLED = "handled"
    RETRIED = "retried"
    DEAD_LETTERED = "dead_lettered"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    REPLAYED = "replayed"
    ROUTED = "routed"
    DISCARDED = "discarded"


@dataclass(frozen=True)
class HopRecord:
    """One hop of one message, with its timing and error if any."""

    message_id: str
    hop: Hop
    at: datetime
    consumer: str | None
    attempt: int
    duration_ms: float | None
    error: str | None
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class MessageRecord:
    """A journaled message: the envelope as first seen, its status and (from `find`) its hops."""

    id: str
    type: str
    source: str
    subject: str | None
    correlation_id: str
    causation_id: str | None
    time: datetime
    first_seen: datetime
    status: str  # the last hop's name
    envelope: dict[str, Any]  # as received, unmasked: display layers mask personal data
    hops: list[HopRecord] = field(default_factory=list)  # filled by find(), empty in search
