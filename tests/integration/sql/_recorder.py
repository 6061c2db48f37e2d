"""Emitters for driving a source without a broker (the bus side is proven elsewhere), and a
thread that runs a source until told to stop."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from adapters import Source, SourceEvent


class Recorder:
    """Keeps the keys it is given; `on_emit` runs before it accepts a batch (it may raise,
    as a broker that never confirmed)."""

    def __init__(self, on_emit: Callable[[Sequence[SourceEvent]], None] | None = None) -> None:
        self.keys: list[str] = []
        self.rejected: list[dict[str, Any]] = []
        self._on_emit = on_emit

    def emit(self, events: Sequence[SourceEvent]) -> None:
        if self._on_emit is not None:
            self._on_emit(events)
        self.keys.extend(event.key for event in events)

    def reject(self, record: bytes, *, reason: str, detail: dict[str, Any]) -> None:
        self.rejected.append({"reason": reason, **detail})


@contextmanager
def running(source: Source, emitter: Any) -> Iterator[threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=source.run, args=(emitter, stop), daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(10)
