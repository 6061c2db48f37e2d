"""What flows through a route's steps, and what the steps ask of the runtime around them.

The runtime is the bus in production and an in-memory stand-in in the route test kit; the
steps cannot tell them apart, which is what lets one route test run on both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from routes._envelopes import RESUME_EXTENSION

if TYPE_CHECKING:
    from schemas import Envelope


@dataclass
class Message:
    """One message inside a route: its type and data as the steps have made them so far, the
    envelope that entered the route, and `path`, its place among that envelope's descendants
    (split items, branches), from which the ids of what it causes are derived."""

    type: str
    data: dict[str, Any]
    origin: Envelope
    subject: str | None = None
    correlationid: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    path: str = "0"

    @classmethod
    def entering(cls, envelope: Envelope) -> Message:
        data = envelope.data if isinstance(envelope.data, dict) else {"value": envelope.data}
        extensions = dict(envelope.model_extra or {})
        extensions.pop(RESUME_EXTENSION, None)
        return cls(
            type=envelope.type,
            data=dict(data),
            origin=envelope,
            subject=envelope.subject,
            correlationid=envelope.correlationid or envelope.id,
            extensions=extensions,
        )

    def but(self, **changes: Any) -> Message:
        return replace(self, **changes)

    def context(self) -> dict[str, Any]:
        """What expressions and paths see."""
        return {
            "data": self.data,
            "type": self.type,
            "subject": self.subject,
            "id": self.origin.id,
            "correlationid": self.correlationid,
            "source": self.origin.source,
            "time": self.origin.time.isoformat() if self.origin.time else None,
            **self.extensions,
        }


class Runtime(Protocol):
    """What steps need from the world around the route."""

    route: str

    def send(self, message: Message, channel: str, *, step: str) -> None:
        """Publish `message` on `channel` once the incoming message is handled."""

    def call(self, operation: str, data: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        """Call a legacy operation; its reply's data. Raises the bus's operation errors."""

    def validate(self, type: str, data: dict[str, Any], version: int | None) -> dict[str, Any]:
        """`data` checked against the schema `type`, normalised; raises InvalidMessage."""

    def aggregate(
        self, step: str, key: str, message: Message, completion: Completion
    ) -> Completed | None:
        """Store `message` as a part of the aggregate `key`; the group when it completes."""

    def park(self, message: Message, *, resume_at: int, seconds: float) -> None:
        """Hold `message` for `seconds`, then continue it at top-level step `resume_at`."""

    def after(self, callback: Callable[[], None]) -> None:
        """Run `callback` when the incoming message is done with, however it ends."""

    def finish(self) -> None:
        """The incoming message is done with: run the `after` callbacks."""

    def hop(self, message: Message, step: str, *, duration_ms: float, outputs: int) -> None:
        """Journal that `message` passed `step`."""


@dataclass(frozen=True)
class Completed:
    """A completed aggregate: `group` identifies it (its first part), `parts` in order."""

    group: str
    parts: list[dict[str, Any]]


class Completion(Protocol):
    """When an aggregate is complete, given its parts so far."""

    size: int | None
    timeout: float | None

    def complete(self, parts: list[dict[str, Any]]) -> bool: ...
