"""How a source's events reach the bus: batches of confirmed envelopes with stable ids, and
dead letters for records that cannot become events."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from kombu import Connection, Queue

from adapters._operation import SourceEvent
from bus import Bus, Publisher
from bus._topology import DEFAULT_EXCHANGE
from bus._wire import (
    HEADER_CONSUMER,
    HEADER_DEAD_LETTERED_AT,
    HEADER_ERROR,
    HEADER_REASON,
    Outgoing,
)
from schemas import Envelope, new_traceparent

# Ids of source events are derived from the source's own key for the change, so the same
# change emitted again after a crash is the same message to every consumer.
_EXTENSION_NAME = re.compile(r"[a-z0-9]{1,20}")
_SOURCE_NAMESPACE = uuid.UUID("0b9f6f8e-5c0e-4a8c-9d64-2d1f3a0c7e51")


class BusEmitter:
    """The Emitter a source of one adapter instance is given."""

    def __init__(self, bus: Bus, adapter: str, source: str, event_type: str) -> None:
        self._bus = bus
        self._origin = f"civicbus://adapter/{adapter}/{source}"
        self._scope = f"{adapter}/{source}"
        self._event_type = event_type
        self._publisher: Publisher = bus.publisher()
        self.dead_letters = Queue(
            f"{bus.settings.queue_prefix}.source.{adapter}.{source}.dlq",
            exchange=DEFAULT_EXCHANGE,
            routing_key=f"{bus.settings.queue_prefix}.source.{adapter}.{source}.dlq",
            durable=True,
        )
        with Connection(bus.settings.broker, connect_timeout=5) as connection:
            self.dead_letters(connection.channel()).declare()

    def message_id(self, key: str) -> str:
        return str(uuid.uuid5(_SOURCE_NAMESPACE, f"{self._scope}/{key}"))

    def emit(self, events: Sequence[SourceEvent]) -> None:
        envelopes = [self._envelope(event) for event in events]
        # Built from validated payload models just above: no second validation.
        self._publisher.publish_many(envelopes, validated=True)
        if self._bus.journal is not None:
            # A source reads at its own pace: keeping it level with the journal writer bounds
            # the memory a big batch file costs, and every record still gets journaled.
            self._bus.journal.wait_for_room()

    def reject(self, record: bytes, *, reason: str, detail: dict[str, Any]) -> None:
        headers = {
            HEADER_REASON: reason,
            HEADER_ERROR: json.dumps(detail, default=str)[:4000],
            HEADER_CONSUMER: self._scope,
            HEADER_DEAD_LETTERED_AT: datetime.now(UTC).isoformat(),
        }
        self._publisher.send(
            [
                Outgoing(
                    body=record, exchange="", routing_key=self.dead_letters.name, headers=headers
                )
            ]
        )

    def close(self) -> None:
        self._publisher.close()

    def _envelope(self, event: SourceEvent) -> Envelope:
        registry = self._bus.registry
        envelope = registry.envelope(
            event.payload,
            source=self._origin,
            subject=event.subject,
            correlationid=event.correlationid,
            id=self.message_id(event.key),
            traceparent=new_traceparent(),  # a change in a legacy system starts a trace
        )
        if event.extensions:
            bad = [name for name in event.extensions if not _EXTENSION_NAME.fullmatch(name)]
            if bad:
                raise ValueError(
                    f"{self._scope}: extension attribute names {bad} are not CloudEvents names "
                    "(lower-case letters and digits, at most 20); rename them in the source"
                )
            # The payload and attributes were validated above; only the names are new.
            envelope = envelope.model_copy(update=event.extensions)
        return envelope
