"""Calling a legacy operation over the bus: request out, wait for the reply, or time out.

A Caller owns a private reply queue and one thread that reads it, matching each reply to the
waiting call by the request id (the reply's `causationid`). Calls from many threads share it.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from kombu import Connection
from kombu import Consumer as KombuConsumer
from kombu.message import Message
from pydantic import BaseModel

from bus._catalog import Catalog, OperationEntry
from bus._deadline import DEADLINE, deadline_text
from bus._json_schema import CanonicalData, validate_json
from bus._publisher import Publisher
from bus._reconnect import serve_until_stopped
from bus._topology import Topology
from bus._tracing import span
from bus._wire import Outgoing, envelope_properties, raw_body
from schemas import (
    OPERATION_ERROR_TYPE,
    Envelope,
    InvalidMessage,
    OperationError,
    SchemaRegistry,
    child_traceparent,
)

log = structlog.get_logger("civicbus.caller")


# What a caller left without a reply is told: a server that took the request before its
# deadline may act on it; one that takes it later leaves it (bus/_deadline.py).
_MAY_ACT = (
    "the legacy system may still act on it if a server took it in time (one that takes it "
    "later leaves it) — check its journal before sending it again"
)


class OperationFailed(Exception):
    """The operation answered without a result; `.error` says why and whether to retry."""

    def __init__(self, error: OperationError) -> None:
        super().__init__(
            f"{error.adapter}.{error.operation} failed ({error.code}): {error.message}"
        )
        self.error = error


class OperationTimeout(TimeoutError):
    """No reply came in time. The legacy system may still act on the request."""


class Caller:
    """Sends requests to adapters' operation queues and waits for their replies."""

    def __init__(
        self,
        url: str,
        topology: Topology,
        registry: SchemaRegistry,
        catalog: Catalog,
        publisher: Publisher,
        *,
        source: str = "civicbus://caller",
    ) -> None:
        self._url = url
        self._topology = topology
        self._registry = registry
        self._catalog = catalog
        self._publisher = publisher
        self._publish_lock = threading.Lock()
        self._source = source
        self._queue = topology.reply_queue(uuid.uuid4().hex[:16])
        self._waiting: dict[str, Future[Envelope]] = {}
        self._waiting_lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(
            target=self._read_replies, name="caller-replies", daemon=True
        )
        self._thread.start()

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
        """Call `<adapter>.<operation>` and return its validated response model.

        Raises InvalidMessage (nothing sent), OperationNotFound, OperationFailed (the reply
        was an error) or OperationTimeout (no reply within `timeout` seconds). An operation
        served by another process, known only from the shared catalog, is validated against
        its JSON Schema and answers a `CanonicalData` model.
        """
        entry = self._catalog.get(name)
        payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
        with span(f"call {name}", traceparent, "client") as client_span:
            return self._call(
                entry,
                payload,
                timeout=timeout,
                subject=subject,
                correlationid=correlationid,
                request_id=request_id,
                # The request is a child of the client span when tracing, else of the caller.
                traceparent=client_span or child_traceparent(traceparent),
            )

    def _call(
        self,
        entry: OperationEntry,
        payload: dict[str, Any],
        *,
        timeout: float,
        subject: str | None,
        correlationid: str | None,
        request_id: str | None,
        traceparent: str,
    ) -> BaseModel:
        name = entry.name
        request = self._request(
            entry,
            payload,
            subject=subject,
            correlationid=correlationid,
            request_id=request_id,
            traceparent=traceparent,
            deadline=datetime.now(UTC) + timedelta(seconds=timeout),
        )
        if not self._ready.wait(timeout):
            raise OperationTimeout(
                f"the reply queue for {name} was not ready in {timeout}s; "
                "check the broker (`civicbus doctor`)"
            )
        reply_future: Future[Envelope] = Future()
        with self._waiting_lock:
            self._waiting[request.id] = reply_future
        try:
            properties = {**envelope_properties(request), "reply_to": self._queue.name}
            with self._publish_lock:
                self._publisher.send(
                    [
                        Outgoing(
                            body=request.to_json(),
                            exchange=self._topology.operations.name,
                            routing_key=name,
                            properties=properties,
                            envelope=request,
                        )
                    ]
                )
            reply = reply_future.result(timeout)
        except OperationTimeout:
            raise  # set by close(); a TimeoutError too, so it must pass the clause below
        except FutureTimeout:
            raise OperationTimeout(
                f"no reply from {name} within {timeout}s (request {request.id}); {_MAY_ACT}"
            ) from None
        finally:
            with self._waiting_lock:
                self._waiting.pop(request.id, None)
        if reply.type == OPERATION_ERROR_TYPE:
            raise OperationFailed(OperationError.model_validate(reply.data))
        if reply.type in self._registry or entry.response_schema is None:
            return self._registry.read(reply)
        validate_json(entry.response_schema, reply.data)
        return CanonicalData.model_validate(reply.data)

    def _request(
        self,
        entry: OperationEntry,
        payload: dict[str, Any],
        *,
        subject: str | None,
        correlationid: str | None,
        request_id: str | None,
        traceparent: str,
        deadline: datetime,
    ) -> Envelope:
        attributes: dict[str, Any] = {
            "subject": subject,
            "correlationid": correlationid,
            "traceparent": traceparent,
            # When the caller stops waiting: a server that takes the request later leaves it
            # (bus/_operations.py), so a call that timed out is not carried out afterwards.
            DEADLINE: deadline_text(deadline),
        }
        if request_id is not None:
            attributes["id"] = request_id
        if entry.request_type in self._registry or entry.request_schema is None:
            return self._registry.build(
                entry.request_type, payload, source=self._source, **attributes
            )
        # Served elsewhere: the adapter's side validates again with its pydantic model.
        validate_json(entry.request_schema, payload)
        dataschema = entry.request_schema.get("$id")
        if isinstance(dataschema, str):
            attributes["dataschema"] = dataschema
        return Envelope(
            type=entry.request_type,
            source=self._source,
            data=payload,
            **{key: value for key, value in attributes.items() if value is not None},
        )

    def close(self) -> None:
        """Stop reading replies; calls still waiting end now, as timeouts, instead of waiting
        out their own for a reply that can no longer be read."""
        self._stop.set()
        self._thread.join(5)
        with self._waiting_lock:
            waiting = list(self._waiting.items())
            self._waiting.clear()
        for request_id, future in waiting:
            if not future.done():
                future.set_exception(
                    OperationTimeout(
                        f"the bus stopped before the reply to request {request_id} came; {_MAY_ACT}"
                    )
                )

    # -- the reply reader -----------------------------------------------------------------

    def _read_replies(self) -> None:
        # Calls waiting while the connection is down time out; later ones use the new one.
        serve_until_stopped(
            self._read_connected, self._stop, self._ready, event="caller_reconnecting"
        )

    def _read_connected(self) -> None:
        with Connection(self._url, connect_timeout=5, heartbeat=20) as connection:
            connection.ensure_connection(max_retries=1)
            channel = connection.channel()
            # Requests may go out before any adapter declared the exchange.
            self._topology.operations.declare(channel=channel)
            with KombuConsumer(
                channel, queues=[self._queue], on_message=self._on_reply, no_ack=True
            ):
                self._ready.set()
                while not self._stop.is_set():
                    try:
                        connection.drain_events(timeout=0.5)
                    except TimeoutError:
                        connection.heartbeat_check()

    def _on_reply(self, message: Message) -> None:
        body = raw_body(message)
        try:
            reply = Envelope.from_json(body)
        except InvalidMessage as exc:
            log.error("operation_reply_invalid", error=str(exc))
            return
        with self._waiting_lock:
            future = self._waiting.get(reply.causationid or "")
        if future is None:
            log.info("operation_reply_unclaimed", causation_id=reply.causationid)
            return
        future.set_result(reply)
