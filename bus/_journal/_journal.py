"""The journal: every message and every hop, written off the hot path in batches.

Callers only append to a bounded in-memory queue; one daemon thread writes what is queued
every `flush_interval` (sooner when a batch is full) in one transaction, retrying with backoff
while the database is away. Nothing here raises into a publisher or a consumer.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_exponential

from bus._journal import _queries
from bus._journal._queue import Batch, EntryQueue, MessageEntry
from bus._journal._records import Hop, HopRecord, MessageRecord
from bus._journal._writer import rows_refused, write_batch
from bus.migrations import database_engine
from bus.migrations import migrate as migrate_database

if TYPE_CHECKING:
    from schemas import Envelope

log = structlog.get_logger(__name__)

_PURGE_EVERY = 3600.0  # seconds; retention is coarse and a purge scans an index
_SIZE_CHECK_EVERY = 60.0  # seconds
_WARN_AT = 0.8  # of the size limit: warn operators before the oldest messages go
_PURGE_TO = 0.7  # of the size limit: where a purge for size takes the journal back to
_MAX_BACKOFF = 2.0  # seconds between write attempts while the database is away
_CLOSE_GRACE = 5.0  # seconds close() keeps retrying before it gives the queued entries up
# Lock waits are retried (and logged) by the writer itself, so it does not need SQLite's
# long busy wait that request handlers get.
_SQLITE_BUSY_TIMEOUT = 2.0


class Journal:
    """The operations team's memory of every message and hop, searchable by its keys."""

    def __init__(
        self,
        url: str,
        *,
        batch_size: int = 500,
        flush_interval: float = 0.2,
        retention: timedelta | None = timedelta(days=30),
        migrate: bool = True,
        max_queued: int = 100_000,
        producer_lag: int = 20_000,
        max_bytes: int | None = None,
    ) -> None:
        if batch_size < 1 or flush_interval <= 0:
            raise ValueError(
                f"journal batch_size must be >= 1 and flush_interval > 0, got {batch_size} "
                f"and {flush_interval}; fix journal.batch_size / journal.flush_interval"
            )
        if migrate:
            migrate_database(url)
        self._engine = database_engine(url, busy_timeout=_SQLITE_BUSY_TIMEOUT)
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._retention = retention
        self._wake = threading.Event()
        self._queue = EntryQueue(max_queued, on_batch_ready=self._wake, batch_size=batch_size)
        # Producers that can wait (bulk sources) hold off above this lag: a million-row file
        # then costs the journal's memory for `producer_lag` entries, not for the whole file.
        self._producer_lag = max(1, min(producer_lag, max_queued))
        self._written = threading.Condition()
        # Held while a batch is written, so flush() and the writer thread never interleave and
        # a flush returns only after the batch the writer had in hand is in the database.
        self._write_lock = threading.Lock()
        self._in_flight = 0
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()
        self._stopping = threading.Event()
        self._give_up_at: float | None = None
        self._next_purge = 0.0
        # Size is checked more often than age: a burst can fill a disk within the hour.
        self._max_bytes = max_bytes
        self._next_size_check = 0.0
        self.size = 0  # bytes, as last measured
        # PostgreSQL keeps a table's size after a delete (the space is reused, not returned):
        # only growth past what a purge left is a reason to purge again.
        self._size_after_purge = 0

    # -- the hot path -------------------------------------------------------------------------

    def message(self, envelope: Envelope) -> None:
        """Queue `envelope` to be journaled; the first sight of an id wins."""
        try:
            self._queue.put_message(MessageEntry(envelope, datetime.now(UTC)))
        except Exception as error:  # the journal must never fail the message it observes
            self._queue.count_dropped(1)
            log.warning("journal_entry_dropped", kind="message", error=repr(error))

    def hop(
        self,
        message_id: str,
        hop: Hop,
        *,
        consumer: str | None = None,
        attempt: int = 1,
        duration_ms: float | None = None,
        error: str | None = None,
        detail: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        """Queue one hop of a message, stamped now unless `at` is given."""
        try:
            entry = HopRecord(
                message_id=message_id,
                hop=Hop(hop),
                at=datetime.now(UTC) if at is None else at,
                consumer=consumer,
                attempt=attempt,
                duration_ms=duration_ms,
                error=error,
                detail=detail,
            )
            self._queue.put_hop(entry)
        except Exception as failure:  # the journal must never fail the message it observes
            self._queue.count_dropped(1)
            log.warning("journal_entry_dropped", kind="hop", error=repr(failure))

    def wait_for_room(self, timeout: float = 30.0) -> bool:
        """Block while more than `producer_lag` entries wait to be written, until half of them
        are; False if `timeout` passed first (the caller goes on and the queue bound holds).

        For producers that choose their own pace, such as a source reading a big file. A
        consumer or a request handler must not call it: the journal never slows live traffic.
        """
        if self.lag <= self._producer_lag or self._thread is None:
            return True
        resume_at = self._producer_lag // 2
        deadline = time.monotonic() + timeout
        with self._written:
            while self.lag > resume_at and self._thread is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    log.warning("journal_behind", lag=self.lag, waited_s=timeout)
                    return False
                self._wake.set()
                self._written.wait(min(remaining, 1.0))
        return True

    @property
    def lag(self) -> int:
        """Entries queued or being written, not yet in the database."""
        return len(self._queue) + self._in_flight

    @property
    def dropped(self) -> int:
        """Entries given up: shed from a full queue, refused by the database, lost at close."""
        return self._queue.dropped

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the background writer (a daemon thread); calling it again does nothing."""
        with self._thread_lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self._run, name="civicbus-journal-writer", daemon=True
            )
            self._thread.start()

    def flush(self) -> None:
        """Write everything queued before this call; blocks until it is in the database."""
        mark = self._queue.mark()
        with self._write_lock:
            while not self._queue.passed(mark):
                self._write_next()

    def close(self) -> None:
        """Write what is queued, stop the writer and release the database."""
        self._give_up_at = time.monotonic() + _CLOSE_GRACE
        self._stopping.set()
        self._wake.set()
        with self._thread_lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        with self._write_lock:
            while len(self._queue):
                self._write_next()
        self._engine.dispose()

    # -- reading ------------------------------------------------------------------------------

    def find(self, message_id: str) -> MessageRecord | None:
        """One message with its hops in time order, or None if the journal never saw it."""
        return _queries.find(self._engine, message_id)

    def search(
        self,
        *,
        message_id: str | None = None,
        correlation_id: str | None = None,
        subject: str | None = None,
        type: str | None = None,
        consumer: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[MessageRecord]:
        """Messages matching every given key, newest first, without their hops."""
        return _queries.search(
            self._engine,
            message_id=message_id,
            correlation_id=correlation_id,
            subject=subject,
            type_=type,
            consumer=consumer,
            status=status,
            since=since,
            until=until,
            limit=limit,
        )

    def dead_letter_queues(self) -> list[str]:
        """The dead-letter queues messages were sent to, as journaled."""
        return _queries.dead_letter_queues(self._engine)

    def purge(self, *, older_than: timedelta) -> int:
        """Delete messages and hops older than `older_than`; returns how many messages went."""
        return _queries.purge(self._engine, older_than=older_than)

    # -- the writer ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._flush_interval)
            self._wake.clear()
            try:
                with self._write_lock:
                    while len(self._queue) and not self._stopping.is_set():
                        self._write_next()
                self._purge_if_due()
                self._keep_within_size()
            except Exception:  # the writer thread must outlive any one failure
                log.exception("journal_writer_failed")

    def _write_next(self) -> None:
        batch = self._queue.take(self._batch_size)
        self._in_flight = len(batch)
        try:
            self._write_with_retry(batch)
        finally:
            self._in_flight = 0
            with self._written:
                self._written.notify_all()

    def _write_with_retry(self, batch: Batch) -> None:
        retrying = Retrying(
            retry=retry_if_exception(lambda error: not rows_refused(error)),
            wait=wait_exponential(multiplier=0.05, max=_MAX_BACKOFF),
            stop=self._should_give_up,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            retrying(write_batch, self._engine, batch)
        except Exception as error:
            if rows_refused(error):
                self._write_one_by_one(batch)
            else:
                self._queue.count_dropped(len(batch))
                log.error("journal_entries_lost", entries=len(batch), error=repr(error))

    def _should_give_up(self, _state: RetryCallState) -> bool:
        # Retry for as long as the journal runs: the queue bound caps the memory meanwhile.
        give_up_at = self._give_up_at
        return give_up_at is not None and time.monotonic() >= give_up_at

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        log.warning(
            "journal_write_failed",
            error=repr(error),
            attempt=state.attempt_number,
            retry_in=round(state.upcoming_sleep, 3),
            entries=self.lag,
        )

    def _write_one_by_one(self, batch: Batch) -> None:
        # The database refused something in the batch: find it, keep everything else.
        singles = [Batch(messages=[entry]) for entry in batch.messages]
        singles += [Batch(hops=[entry]) for entry in batch.hops]
        for single in singles:
            try:
                write_batch(self._engine, single)
            except Exception as error:
                self._queue.count_dropped(1)
                log.error("journal_entry_refused", error=repr(error))

    def _keep_within_size(self) -> None:
        if time.monotonic() < self._next_size_check:
            return
        self._next_size_check = time.monotonic() + _SIZE_CHECK_EVERY
        self.size = _queries.size_bytes(self._engine)
        limit = self._max_bytes
        if limit is None:
            return
        if self.size > limit * _WARN_AT:
            log.warning(
                "journal_near_its_size_limit",
                size_mb=round(self.size / 1e6, 1),
                limit_mb=round(limit / 1e6, 1),
                hint="the oldest messages go first at the limit; raise journal.max_mb or "
                "shorten journal.retention_days",
            )
        if self.size <= limit or self.size <= self._size_after_purge:
            return
        # Drop the oldest share that takes it back under the limit, with room to spare.
        count = _queries.message_count(self._engine)
        share = 1 - (limit * _PURGE_TO) / self.size
        purged = _queries.purge_oldest(self._engine, count=max(1, int(count * share)))
        self.size = self._size_after_purge = _queries.size_bytes(self._engine)
        log.warning("journal_purged_for_size", messages=purged, size_mb=round(self.size / 1e6, 1))

    def check_size(self) -> int:
        """Measure the journal now and purge the oldest messages if it is over its limit (the
        writer does this every minute); the size in bytes."""
        with self._write_lock:
            self._next_size_check = 0.0
            self._keep_within_size()
        return self.size

    def _purge_if_due(self) -> None:
        if self._retention is None or time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + _PURGE_EVERY
        try:
            purged = self.purge(older_than=self._retention)
        except Exception as error:  # retention waits for the next hour, the writer goes on
            log.warning("journal_purge_failed", error=repr(error))
            return
        if purged:
            log.info("journal_purged", messages=purged, older_than=str(self._retention))
