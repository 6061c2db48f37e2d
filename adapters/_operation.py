"""Operations (request -> reply) and sources (legacy -> bus): what an adapter offers."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel


@dataclass(frozen=True)
class CallContext:
    """What the bus knows about one call, for adapters that pass it on (audit headers...)."""

    request_id: str
    correlation_id: str
    deadline: float | None = None  # time.monotonic() by which the caller stops waiting
    extras: dict[str, Any] = field(default_factory=dict)


Invoke = Callable[[BaseModel, CallContext], BaseModel]


@dataclass(frozen=True)
class Operation:
    """One request -> reply operation of a legacy system.

    `idempotent` operations (reads) are retried after a timeout; others only when the request
    certainly never reached the legacy system, so a write is not applied twice.
    """

    name: str
    request: type[BaseModel]
    response: type[BaseModel]
    invoke: Invoke
    description: str = ""
    idempotent: bool = False

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(
                f"operation name {self.name!r} must be lower-case words joined by hyphens "
                f"(e.g. {kebab_case(self.name)!r}); use kebab_case() on legacy names"
            )


@dataclass(frozen=True)
class SourceEvent:
    """One change a source saw in a legacy system.

    `key` identifies this change for good (a table's primary key and row version, a file's
    hash and record number): a source that emits the same change again after a crash gives
    the same key, the message gets the same id, and consumers drop the copy. `extensions` are
    extra CloudEvents attributes (lower-case names), e.g. `recordnumber`.
    """

    payload: BaseModel
    key: str
    subject: str | None = None
    correlationid: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)


class Emitter(Protocol):
    """How a source hands its events to the bus."""

    def emit(self, events: Sequence[SourceEvent]) -> None:
        """Publish `events` in order; returns once the broker holds every one of them, so the
        source may then commit its own progress (a watermark, a file offset)."""

    def reject(self, record: bytes, *, reason: str, detail: dict[str, Any]) -> None:
        """Dead-letter a record that cannot become an event (bad data), with why and where
        (a line number, a key); returns once the dead letter is on the broker."""


@dataclass(frozen=True)
class Source:
    """A stream of events from a legacy system (a changed row, a dropped file).

    `run(emitter, stop)` blocks until `stop` is set, handing events to `emitter.emit` and
    committing its progress only after emit returned: nothing is lost in a crash, and what is
    emitted twice carries the same key.
    """

    name: str
    event: type[BaseModel]
    event_type: str
    run: Callable[[Emitter, threading.Event], None]
    description: str = ""


_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def kebab_case(name: str) -> str:
    """`GetLastTradePrice` -> `get-last-trade-price`, `testDocLitFault` -> `test-doc-lit-fault`."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", name)
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", words)
    return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")
