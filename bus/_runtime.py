"""The Bus: settings, schemas, journal and idempotency wired to publishers and consumers.

One Bus per process. Consumers run in their own threads with their own connections (kombu
connections are not shared between threads); `publish` from any thread goes through one
publisher guarded by a lock.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import structlog
from kombu import Connection
from pydantic import BaseModel

from bus._caller import Caller, OperationTimeout
from bus._catalog import Catalog
from bus._catalog_store import CatalogStore, StoredOperation
from bus._consumer import Consumer
from bus._delivery import Handler
from bus._idempotency import IdempotencyStore
from bus._journal import Journal
from bus._metrics import SCRAPED
from bus._operations import OperationServer, ServedOperation
from bus._processing import Processor
from bus._publisher import Publisher
from bus._replies import ReplyStore, replies_url
from bus._schema_modules import register_configured
from bus._settings import RetrySettings, Settings, load_settings
from bus._topology import Topology
from schemas import (
    OPERATION_ERROR_TYPE,
    Envelope,
    OperationError,
    SchemaRegistry,
    default_registry,
)

log = structlog.get_logger("civicbus.bus")

_HOUSEKEEPING_SECONDS = 3600.0


class Bus:
    """Publish canonical messages and run consumers on the configured broker."""

    def __init__(
        self, settings: Settings | None = None, registry: SchemaRegistry | None = None
    ) -> None:
        self.settings = settings if settings is not None else load_settings()
        self.registry = registry if registry is not None else default_registry()
        if not self.registry.versions(OPERATION_ERROR_TYPE):
            # Failed calls are answered with it, whatever else the caller's registry holds.
            self.registry.register(OperationError, type=OPERATION_ERROR_TYPE, version=1)
        register_configured(self.registry, self.settings.schemas)
        self.topology = Topology(self.settings)
        self.journal: Journal | None = None
        if self.settings.journal.enabled:
            self.journal = Journal(
                self.settings.journal_url,
                batch_size=self.settings.journal.batch_size,
                flush_interval=self.settings.journal.flush_interval,
                retention=timedelta(days=self.settings.journal.retention_days),
                max_queued=self.settings.journal.max_queued,
                producer_lag=self.settings.journal.producer_lag,
                max_bytes=(
                    int(self.settings.journal.max_mb * 1e6)
                    if self.settings.journal.max_mb is not None
                    else None
                ),
            )
            self.journal.start()
        self.idempotency = IdempotencyStore(self.settings.state)
        kept = replies_url(self.settings.state)
        self.replies = ReplyStore(kept, migrate=kept != self.settings.state)
        self.catalog_store = CatalogStore(self.settings.state)
        self.catalog = Catalog(
            self.catalog_store,
            stale_after=self.settings.catalog.stale_after,
            cache_seconds=self.settings.catalog.cache_seconds,
        )
        self.consumers: list[Consumer] = []
        self.servers: list[OperationServer] = []
        self._caller: Caller | None = None
        self._closing = False  # set by close(): calls are refused from then on
        self._caller_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._started = False
        # Each consumer stops on its own event too, so one can be removed from a running bus.
        self._consumer_runs: dict[str, tuple[threading.Event, threading.Thread]] = {}
        self._publisher: Publisher | None = None
        self._publish_lock = threading.Lock()

    # -- publishing -----------------------------------------------------------------------

    def publisher(self, *, confirm: bool = True) -> Publisher:
        """A new publisher with its own connection, for one thread.

        `confirm=False` only for messages whose loss the receiver notices by itself (a
        request and reply of a waiting call, which times out): it saves a broker round trip.
        """
        return Publisher(
            self.settings.broker,
            self.topology,
            registry=self.registry,
            journal=self.journal,
            max_message_bytes=self.settings.max_message_bytes,
            confirm_timeout=self.settings.publish_confirm_timeout,
            confirm=confirm,
        )

    def publish(self, *envelopes: Envelope) -> None:
        """Validate and publish; returns once the broker has every one (confirmed)."""
        with self._publish_lock:
            if self._publisher is None:
                self._publisher = self.publisher()
            self._publisher.publish_many(envelopes)

    # -- operations (request -> reply) ----------------------------------------------------

    def serve(
        self, adapter: str, operations: list[ServedOperation], *, concurrency: int = 8
    ) -> OperationServer:
        """Offer `operations` of one adapter instance on the bus (they enter the catalog)."""
        server = OperationServer(
            adapter,
            operations,
            url=self.settings.broker,
            topology=self.topology,
            registry=self.registry,
            publisher_factory=lambda: self.publisher(confirm=False),
            journal=self.journal,
            replies=self.replies,
            concurrency=concurrency,
        )
        server.declare()
        for served in operations:
            self.catalog.add(served.entry)
        self.catalog_store.record([self._stored(served) for served in operations])
        self.servers.append(server)
        return server

    def _stored(self, served: ServedOperation) -> StoredOperation:
        entry = served.entry

        def schema(type: str) -> dict[str, Any]:
            # An operation whose types were never registered is offered with an open schema:
            # its own server still validates every request.
            return self.registry.get(type).json_schema() if type in self.registry else {}

        return StoredOperation(
            adapter=entry.adapter,
            operation=entry.operation,
            description=entry.description,
            idempotent=entry.idempotent,
            request_schema=schema(entry.request_type),
            response_schema=schema(entry.response_type),
            last_seen=datetime.now(UTC),
        )

    def call(
        self,
        name: str,
        data: dict[str, Any] | BaseModel,
        *,
        timeout: float = 30.0,
        subject: str | None = None,
        correlationid: str | None = None,
        request_id: str | None = None,
        traceparent: str | None = None,
    ) -> BaseModel:
        """Call `<adapter>.<operation>` over the bus and return its response model.

        `request_id` becomes the request envelope's id (default: a new one). Raises
        InvalidMessage, OperationNotFound, OperationFailed or OperationTimeout.
        """
        with self._caller_lock:
            if self._closing:
                raise OperationTimeout(f"the bus is stopping: {name} was not called; try again")
            if self._caller is None:
                self._caller = Caller(
                    self.settings.broker,
                    self.topology,
                    self.registry,
                    self.catalog,
                    self.publisher(confirm=False),
                )
        return self._caller.call(
            name,
            data,
            timeout=timeout,
            subject=subject,
            correlationid=correlationid,
            request_id=request_id,
            traceparent=traceparent,
        )

    # -- consuming ------------------------------------------------------------------------

    def subscribe(
        self,
        name: str,
        patterns: list[str],
        handler: Handler,
        *,
        prefetch: int | None = None,
        is_transient: Callable[[BaseException], bool] | None = None,
        retry: RetrySettings | None = None,
        dead_letters: str | None = None,
        delays: Iterable[float] = (),
    ) -> Consumer:
        """Register a consumer of the events whose routing key (the event type, or the channel
        it was sent to) matches one of `patterns` (`*` one word, `#` any words) and declare
        its queues at once. `retry` overrides the bus's retry settings for this consumer,
        `dead_letters` names a shared dead-letter queue, `delays` adds delay lines back into
        the work queue (for messages a handler parks with `Delivery.send(..., delay=)`).
        On a running bus the consumer starts at once."""
        consumer = self.consumer(
            name,
            patterns,
            handler,
            prefetch=prefetch,
            is_transient=is_transient,
            retry=retry,
            dead_letters=dead_letters,
            delays=delays,
        )
        self.consumers.append(consumer)
        if self._started:
            self._run_consumer(consumer)
        return consumer

    def consumer(
        self,
        name: str,
        patterns: list[str],
        handler: Handler,
        *,
        prefetch: int | None = None,
        is_transient: Callable[[BaseException], bool] | None = None,
        unknown_types: bool = False,
        retry: RetrySettings | None = None,
        dead_letters: str | None = None,
        delays: Iterable[float] = (),
    ) -> Consumer:
        """A consumer with its queues declared, that the caller runs (`consumer.run(stop)`)
        and stops itself; `Bus.start` does not run it. `unknown_types=True` hands event
        types this process never registered to the handler as `CanonicalData` instead of
        dead-lettering them (a forwarder that only passes envelopes on)."""
        retry = retry or self.settings.retry
        queues = self.topology.consumer_queues(
            name, patterns, retry=retry, dead_letters=dead_letters, delays=delays
        )
        processor = Processor(
            name,
            handler,
            queues=queues,
            registry=self.registry,
            idempotency=self.idempotency,
            publisher=self.publisher(),
            journal=self.journal,
            retry=retry,
            max_message_bytes=self.settings.max_message_bytes,
            is_transient=is_transient,
            unknown_types=unknown_types,
        )
        consumer = Consumer(
            name,
            url=self.settings.broker,
            queues=queues,
            processor=processor,
            prefetch=prefetch or self.settings.prefetch,
        )
        consumer.declare()
        return consumer

    def unsubscribe(self, name: str, *, timeout: float = 30.0) -> None:
        """Stop the consumer `name` on a running bus: it finishes and acknowledges the batch
        in hand; its queue and every message waiting in it stay on the broker."""
        consumer = next((c for c in self.consumers if c.name == name), None)
        if consumer is None:
            raise LookupError(f"no consumer {name!r} on this bus")
        run = self._consumer_runs.pop(name, None)
        if run is not None:
            stop, thread = run
            stop.set()
            thread.join(timeout)
        self.consumers.remove(consumer)

    def _run_consumer(self, consumer: Consumer) -> None:
        stop = threading.Event()
        thread = threading.Thread(
            target=consumer.run, args=(stop,), name=f"consumer-{consumer.name}", daemon=True
        )
        self._consumer_runs[consumer.name] = (stop, thread)
        thread.start()

    def _register_metrics(self) -> None:
        # Read when scraped; a later Bus in the same process takes the names over.
        if self.journal is not None:
            journal = self.journal
            SCRAPED.add(
                "civicbus_journal_lag",
                "Journal entries queued or being written, not yet in the database.",
                [],
                lambda: [([], float(journal.lag))],
            )
            SCRAPED.add(
                "civicbus_journal_bytes",
                "Size of the journal's tables as last measured.",
                [],
                lambda: [([], float(journal.size))],
            )
            SCRAPED.add(
                "civicbus_journal_dropped",
                "Journal entries given up since the process started.",
                [],
                lambda: [([], float(journal.dropped))],
            )
        SCRAPED.add(
            "civicbus_queue_messages",
            "Messages waiting in each queue of this process's consumers.",
            ["queue"],
            self._queue_depths,
        )

    def _queue_depths(self) -> list[tuple[list[str], float]]:
        names = [
            q.name for c in list(self.consumers) for q in (c.queues.work, c.queues.dead_letters)
        ]
        depths: list[tuple[list[str], float]] = []
        with Connection(self.settings.broker, connect_timeout=2) as connection:
            channel = connection.channel()
            for name in names:
                _queue, count, _consumers = channel.queue_declare(name, passive=True)
                depths.append(([name], float(count)))
        return depths

    def start(self) -> None:
        """Run every subscribed consumer in its own thread, and the housekeeping."""
        self._closing = False
        housekeeping = threading.Thread(target=self._housekeeping, name="housekeeping", daemon=True)
        housekeeping.start()
        self._threads.append(housekeeping)
        if self.servers:
            heartbeat = threading.Thread(
                target=self._catalog_heartbeat, name="catalog-heartbeat", daemon=True
            )
            heartbeat.start()
            self._threads.append(heartbeat)
        self._started = True
        self._register_metrics()
        for consumer in self.consumers:
            self._run_consumer(consumer)
        for server in self.servers:
            thread = threading.Thread(
                target=server.run,
                args=(self._stop,),
                name=f"operations-{server.adapter}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def _housekeeping(self) -> None:
        # Idempotency records only need to outlive any redelivery; without a bound the state
        # database would grow by one row per message forever.
        retention = timedelta(days=self.settings.idempotency_retention_days)
        while True:
            try:
                removed = self.idempotency.purge(older_than=retention)
                removed += self.replies.purge(older_than=retention)
            except Exception as exc:
                log.warning("idempotency_purge_failed", error=str(exc))
            else:
                if removed:
                    log.info("idempotency_records_purged", removed=removed)
            if self._stop.wait(_HOUSEKEEPING_SECONDS):
                return

    def _catalog_heartbeat(self) -> None:
        # Other processes offer an operation only while its host keeps it fresh.
        adapters = [server.adapter for server in self.servers]
        while not self._stop.wait(self.settings.catalog.heartbeat_interval):
            try:
                self.catalog_store.heartbeat(adapters)
            except Exception as exc:
                log.warning("catalog_heartbeat_failed", error=str(exc))

    def wait_ready(self, timeout: float = 30.0) -> bool:
        readiness = [c.ready for c in self.consumers] + [s.ready for s in self.servers]
        return all(ready.wait(timeout) for ready in readiness)

    def run_until_stopped(
        self, *, draining: threading.Event | None = None, drain_seconds: float = 0.0
    ) -> None:
        """Start the consumers and block until SIGTERM or SIGINT, then drain and close.

        With `draining` and `drain_seconds`, the first signal only sets `draining` (readiness
        answers 503) and work goes on that long, so a load balancer stops sending work before
        the consumers stop; a second signal stops at once."""
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        stop_at: float | None = None

        def request_stop(signum: int, _frame: FrameType | None) -> None:
            nonlocal stop_at
            if draining is not None and drain_seconds > 0 and not draining.is_set():
                log.info("bus_draining", signal=signal.Signals(signum).name, seconds=drain_seconds)
                draining.set()
                stop_at = time.monotonic() + drain_seconds
                return
            log.info("bus_stopping", signal=signal.Signals(signum).name)
            self._stop.set()

        for sig in previous:
            signal.signal(sig, request_stop)
        try:
            self.start()
            while not self._stop.wait(0.5):
                if stop_at is not None and time.monotonic() >= stop_at:
                    log.info("bus_stopping", after="draining")
                    break
        finally:
            self.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        self._stop.set()
        for stop, _thread in list(self._consumer_runs.values()):
            stop.set()

    @property
    def stopping(self) -> threading.Event:
        """Set once the bus has been asked to stop; background work should wind down."""
        return self._stop

    def close(self, timeout: float = 30.0) -> None:
        """Stop consumers (each finishes and acks the message in hand), flush the journal."""
        self.stop()
        # Operation servers finish the request in hand first; then calls still waiting for a
        # reply end at once (a consumer's call to a server of this process, stopped now,
        # would otherwise hold the consumer, and the exit, for the call's whole timeout).
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        with self._caller_lock:
            self._closing = True
            caller, self._caller = self._caller, None
        if caller is not None:
            caller.close()
        for _stop, thread in list(self._consumer_runs.values()):
            thread.join(timeout)
        self._consumer_runs.clear()
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
        if self.journal is not None:
            self.journal.close()
        self.idempotency.close()
        self.replies.close()
        self.catalog_store.close()

    def __enter__(self) -> Bus:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
