"""Operations (request -> reply) and sources (legacy -> bus): what an adapter offers."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


Emit = Callable[[BaseModel, str | None], None]  # (payload, subject)


@dataclass(frozen=True)
class Source:
    """A stream of events from a legacy system (a changed row, a dropped file).

    `run(emit, stop)` blocks until `stop` is set and calls `emit(payload, subject)` for each
    event; emit returns once the bus holds the event, so a source commits its own progress
    (a watermark, a file offset) only after emit returned.
    """

    name: str
    event: type[BaseModel]
    event_type: str
    run: Callable[[Emit, threading.Event], None]
    description: str = ""


_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def kebab_case(name: str) -> str:
    """`GetLastTradePrice` -> `get-last-trade-price`, `testDocLitFault` -> `test-doc-lit-fault`."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", name)
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", words)
    return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")
