"""The journal's in-memory queue: bounded, thread-safe, and cheap for the caller.

The journal is observability and the broker holds the messages, so when the writer cannot keep
up the queue sheds the oldest hops (a message row is worth more than one of its steps) instead
of growing without bound or making a publisher wait.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from bus._journal._records import HopRecord
    from schemas import Envelope

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class MessageEntry:
    # The envelope is turned into a row by the writer thread, keeping the caller's cost to an
    # append; envelopes are not mutated after they are built.
    envelope: Envelope
    first_seen: datetime


@dataclass(frozen=True, slots=True)
class Batch:
    messages: list[MessageEntry] = field(default_factory=list)
    hops: list[HopRecord] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.messages) + len(self.hops)


@dataclass(frozen=True, slots=True)
class Mark:
    """How many entries of each kind had been queued at one moment."""

    messages: int
    hops: int


class EntryQueue:
    """Two FIFO queues (messages, hops) sharing one bound; the writer takes messages first."""

    def __init__(self, max_entries: int, *, on_batch_ready: threading.Event, batch_size: int):
        if max_entries < 1:
            raise ValueError(f"the journal queue bound must be at least 1, got {max_entries}")
        self._max = max_entries
        self._batch_size = batch_size
        self._ready = on_batch_ready
        self._lock = threading.Lock()
        self._messages: deque[MessageEntry] = deque()
        self._hops: deque[HopRecord] = deque()
        # Totals ever queued and ever removed (taken or dropped) per kind: comparing them tells
        # a flush whether everything queued before it has left the queue.
        self._queued_messages = 0
        self._queued_hops = 0
        self._removed_messages = 0
        self._removed_hops = 0
        self._dropped = 0
        self._shedding = False

    def put_message(self, entry: MessageEntry) -> None:
        with self._lock:
            self._messages.append(entry)
            self._queued_messages += 1
            self._after_put()

    def put_hop(self, entry: HopRecord) -> None:
        with self._lock:
            self._hops.append(entry)
            self._queued_hops += 1
            self._after_put()

    def _after_put(self) -> None:
        size = len(self._messages) + len(self._hops)
        if size > self._max:
            self._drop_oldest()
        elif size >= self._batch_size:
            self._ready.set()

    def _drop_oldest(self) -> None:
        if self._hops:
            self._hops.popleft()
            self._removed_hops += 1
        else:
            self._messages.popleft()
            self._removed_messages += 1
        self._dropped += 1
        if not self._shedding:
            # Once per burst: a full queue would otherwise log on every call.
            self._shedding = True
            log.warning("journal_entries_dropped", bound=self._max, dropped_total=self._dropped)
        self._ready.set()

    def take(self, limit: int) -> Batch:
        """Remove up to `limit` entries, messages before hops."""
        with self._lock:
            messages = [self._messages.popleft() for _ in range(min(limit, len(self._messages)))]
            room = limit - len(messages)
            hops = [self._hops.popleft() for _ in range(min(room, len(self._hops)))]
            self._removed_messages += len(messages)
            self._removed_hops += len(hops)
            if self._shedding and len(self._messages) + len(self._hops) <= self._max // 2:
                self._shedding = False
            return Batch(messages, hops)

    def count_dropped(self, entries: int) -> None:
        """Count entries the writer had to give up on as dropped."""
        with self._lock:
            self._dropped += entries

    def mark(self) -> Mark:
        with self._lock:
            return Mark(self._queued_messages, self._queued_hops)

    def passed(self, mark: Mark) -> bool:
        """Whether every entry queued before `mark` has been taken or dropped."""
        with self._lock:
            return self._removed_messages >= mark.messages and self._removed_hops >= mark.hops

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages) + len(self._hops)

    @property
    def dropped(self) -> int:
        with self._lock:
            return self._dropped
