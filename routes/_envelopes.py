"""The envelopes a route makes: ids derived from what caused them, so a message handled again
after a crash makes the same ids and every consumer downstream drops the copies."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from schemas import Envelope, child_traceparent

if TYPE_CHECKING:
    from routes._message import Message

_ROUTE_NAMESPACE = uuid.UUID("3e0d6a52-9b7f-4c1e-8f0a-5a2b7c9d4e11")
# Extension of a parked (delayed) message: `<route>:<step>` to continue at.
RESUME_EXTENSION = "routeresume"
AGGREGATE_PATH = "aggregate:"


def derived_id(route: str, message: Message, what: str) -> str:
    # An aggregate and what follows it descend from the group, not from whichever part
    # happened to complete it (a timeout and a last part may race).
    lineage = message.path
    if not lineage.startswith(AGGREGATE_PATH):
        lineage = f"{message.origin.id}/{lineage}"
    return str(uuid.uuid5(_ROUTE_NAMESPACE, f"{route}/{lineage}/{what}"))


def outgoing(route: str, message: Message, what: str, **extensions: object) -> Envelope:
    """The envelope of `message` as it leaves the route (or is parked in it)."""
    origin = message.origin
    return Envelope(
        id=derived_id(route, message, what),
        type=message.type,
        source=f"civicbus://route/{route}",
        subject=message.subject,
        data=message.data,
        correlationid=message.correlationid,
        causationid=origin.id,
        traceparent=child_traceparent(origin.traceparent),
        **{**message.extensions, **extensions},
    )


def resume_point(route: str, envelope: Envelope) -> int:
    """The step a parked message of `route` continues at; 0 for any other message."""
    marker = (envelope.model_extra or {}).get(RESUME_EXTENSION)
    if not isinstance(marker, str):
        return 0
    name, _, step = marker.rpartition(":")
    return int(step) if name == route and step.isdigit() else 0
