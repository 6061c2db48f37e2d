"""Webhook deliveries: each subscription is a bus consumer of its event type, whose handler
POSTs the CloudEvent, signed, to the subscriber. A failed POST is a transient error, so the
bus's own machinery retries it with backoff and dead-letters it when the receiver stays down.

Every gateway process runs the consumers of every subscription (competing consumers: each
event reaches a subscriber once); the subscription table is re-read every `poll_interval`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import httpx
import structlog
from kombu import Connection

from bus._consumer import Consumer
from bus._delivery import Delivery, Handler
from bus._errors import TransientError
from bus._gateway._clients import ClientStore
from bus._gateway._subscriptions import Subscription, SubscriptionStore
from bus._runtime import Bus
from bus._webhook_signature import WEBHOOK_SIGNATURE_HEADER, sign_webhook
from schemas import CLOUDEVENTS_JSON

log = structlog.get_logger("civicbus.webhooks")


@dataclass
class _Running:
    subscription: Subscription
    consumer: Consumer
    stop: threading.Event
    thread: threading.Thread


class WebhookDispatcher:
    def __init__(
        self,
        bus: Bus,
        subscriptions: SubscriptionStore,
        clients: ClientStore,
        *,
        timeout: float,
        poll_interval: float,
    ) -> None:
        self._bus = bus
        self._subscriptions = subscriptions
        self._clients = clients
        self._poll_interval = poll_interval
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.reconcile()
        self._thread = threading.Thread(target=self._poll, name="webhooks", daemon=True)
        self._thread.start()

    def reconcile(self) -> None:
        """Run a consumer for every subscription whose client still holds the event grant;
        stop those of removed subscriptions and revoked grants."""
        wanted = {}
        for subscription in self._subscriptions.all():
            client = self._clients.by_name(subscription.client)
            if client is not None and client.may("event", subscription.event_type):
                wanted[subscription.id] = subscription
        with self._lock:
            for gone in set(self._running) - set(wanted):
                self._retire(self._running.pop(gone), delete_queues=True)
            for new in set(wanted) - set(self._running):
                self._running[new] = self._run(wanted[new])

    def wait_ready(self, timeout: float = 30.0) -> bool:
        with self._lock:
            running = list(self._running.values())
        return all(r.consumer.ready.wait(timeout) for r in running)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        with self._lock:
            for running in self._running.values():
                self._retire(running, delete_queues=False)
            self._running.clear()
        self._http.close()

    def _poll(self) -> None:
        while not self._stop.wait(self._poll_interval):
            try:
                self.reconcile()
            except Exception as exc:
                log.warning("webhook_reconcile_failed", error=str(exc))

    def _run(self, subscription: Subscription) -> _Running:
        consumer = self._bus.consumer(
            subscription.consumer,
            [subscription.event_type],
            self._deliverer(subscription),
            # One at a time: a handler runs inside its idempotency claim's transaction, which
            # on a SQLite state database holds the write lock while the receiver answers.
            prefetch=1,
            unknown_types=True,
        )
        stop = threading.Event()
        thread = threading.Thread(
            target=consumer.run, args=(stop,), name=subscription.consumer, daemon=True
        )
        thread.start()
        log.info(
            "webhook_subscription_started",
            subscription=subscription.id,
            client=subscription.client,
            event_type=subscription.event_type,
        )
        return _Running(subscription, consumer, stop, thread)

    def _retire(self, running: _Running, *, delete_queues: bool) -> None:
        running.stop.set()
        running.thread.join(30)
        if not delete_queues:
            return
        # Unbound from the exchange, or it would collect events for no one forever; the dead
        # letters stay for operators to inspect.
        queues = running.consumer.queues
        with Connection(self._bus.settings.broker, connect_timeout=5) as connection:
            channel = connection.channel()
            for queue in [queues.work, *queues.delay_lines.values()]:
                queue(channel).delete()
        log.info("webhook_subscription_stopped", subscription=running.subscription.id)

    def _deliverer(self, subscription: Subscription) -> Handler:
        def deliver(delivery: Delivery) -> None:
            body = delivery.envelope.to_json()
            headers = {
                "Content-Type": CLOUDEVENTS_JSON,
                WEBHOOK_SIGNATURE_HEADER: sign_webhook(subscription.secret, body),
                "Civicbus-Delivery": delivery.envelope.id,
                "Civicbus-Attempt": str(delivery.attempt),
                "Civicbus-Subscription": subscription.id,
            }
            try:
                response = self._http.post(subscription.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                raise TransientError(
                    f"webhook {subscription.url} unreachable: {type(exc).__name__}: {exc}"
                ) from exc
            if not response.is_success:
                raise TransientError(f"webhook {subscription.url} answered {response.status_code}")

        return deliver
