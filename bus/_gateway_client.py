"""A small typed client for new services: call operations, subscribe to events, with the
gateway's problems raised as exceptions (sync `GatewayClient`, async `AsyncGatewayClient`).

Every call carries an Idempotency-Key (a new one unless given), so the client may safely
send it again after a lost connection, a 429 or a 409: the legacy system is called once.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from bus._gateway_errors import GatewayError, problem_error

API = "/api/v1"
# Answers sent before the gateway did anything, or while the first try still runs.
RETRY_STATUSES = frozenset({409, 429})
READY = ": ready"


@dataclass(frozen=True)
class GatewayEvent:
    """One server-sent event: the CloudEvent's id, type, and the whole envelope."""

    id: str
    type: str
    envelope: dict[str, Any]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff: float = 0.2  # doubled each retry, unless the gateway says Retry-After
    max_wait: float = 10.0


def operation_path(operation: str) -> str:
    adapter, _, name = operation.partition(".")
    if not adapter or not name:
        raise ValueError(f"operation {operation!r} must be <adapter>.<operation>")
    return f"{API}/services/{adapter}/{name}"


def call_headers(
    idempotency_key: str | None, purpose: str | None, end_user: str | None
) -> dict[str, str]:
    headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
    if purpose:
        headers["X-Purpose"] = purpose
    if end_user:
        headers["X-End-User"] = end_user
    return headers


def auth_headers(api_key: str | None, token: str | None) -> dict[str, str]:
    if api_key:
        return {"X-API-Key": api_key}
    if token:
        return {"Authorization": f"Bearer {token}"}
    raise ValueError("give api_key= or token= (an OAuth2 access token)")


def result(response: httpx.Response) -> Any:
    """The JSON of a successful answer; a problem answer raises its GatewayError."""
    if response.is_success:
        return None if response.status_code == 204 else response.json()
    try:
        problem = response.json()
    except ValueError:
        problem = {"detail": response.text[:500]}
    raise problem_error(response.status_code, problem, response.headers.get("Retry-After"))


def wait_before(attempt: int, policy: RetryPolicy, error: Exception) -> float | None:
    """Seconds to wait before trying again, or None when it must not be retried."""
    if attempt >= policy.attempts:
        return None
    if isinstance(error, GatewayError):
        if error.status not in RETRY_STATUSES:
            return None
        if error.retry_after is not None:
            return min(error.retry_after, policy.max_wait)
    elif not isinstance(error, httpx.TransportError):
        return None
    return float(min(policy.backoff * 2 ** (attempt - 1), policy.max_wait))


class EventParser:
    """Server-sent event frames, fed one line at a time; comments (keep-alives) skipped."""

    def __init__(self) -> None:
        self._fields: dict[str, str] = {}

    def feed(self, line: str) -> GatewayEvent | None:
        if line.startswith(":"):
            return None
        if line:
            name, _, value = line.partition(":")
            self._fields[name] = value.removeprefix(" ")
            return None
        fields, self._fields = self._fields, {}
        if "data" not in fields:
            return None
        envelope = json.loads(fields["data"])
        return GatewayEvent(
            id=fields.get("id", ""), type=fields.get("event", ""), envelope=envelope
        )


class EventStream:
    """An open server-sent event stream; iterate for Events, close when done."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._lines = response.iter_lines()
        self._parser = EventParser()
        for line in self._lines:  # the gateway's first frame says the stream is bound
            if line == READY:
                break

    def __iter__(self) -> Iterator[GatewayEvent]:
        return self

    def __next__(self) -> GatewayEvent:
        for line in self._lines:
            event = self._parser.feed(line)
            if event is not None:
                return event
        raise StopIteration

    def close(self) -> None:
        self._response.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class GatewayClient:
    """Synchronous client of the civicbus gateway."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        token: str | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            headers=auth_headers(api_key, token),
            timeout=timeout,
            transport=transport,
        )
        self._retry = retry or RetryPolicy()

    def call(
        self,
        operation: str,
        data: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        purpose: str | None = None,
        end_user: str | None = None,
    ) -> Any:
        """Call `<adapter>.<operation>` and return its canonical reply as JSON data."""
        headers = call_headers(idempotency_key, purpose, end_user)
        return self._send("POST", operation_path(operation), json=data, headers=headers)

    def services(self) -> list[dict[str, Any]]:
        """The operations this client may call, with their schemas."""
        return list(self._send("GET", f"{API}/services")["services"])

    def subscribe(self, event_type: str, url: str) -> dict[str, Any]:
        """Have `event_type` events POSTed to `url`; the answer's `secret` is shown once."""
        return dict(
            self._send("POST", f"{API}/subscriptions", json={"event_type": event_type, "url": url})
        )

    def unsubscribe(self, subscription_id: str) -> None:
        self._send("DELETE", f"{API}/subscriptions/{subscription_id}")

    def events(self, *types: str) -> EventStream:
        """The live event stream (all granted types if none given), open once this returns:
        events published from then on arrive. Use `with`, and iterate it."""
        params = httpx.QueryParams([("type", t) for t in types])
        request = self._http.build_request("GET", f"{API}/events", params=params)
        response = self._http.send(request, stream=True)
        if not response.is_success:
            response.read()
            response.close()
            result(response)
        return EventStream(response)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        attempt = 1
        while True:
            try:
                return result(self._http.request(method, path, **kwargs))
            except (GatewayError, httpx.TransportError) as error:
                wait = wait_before(attempt, self._retry, error)
                if wait is None:
                    raise
            time.sleep(wait)
            attempt += 1
