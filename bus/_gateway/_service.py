"""One operation call through the gateway, in a worker thread: authorise, parse, validate,
keep the Idempotency-Key promise, call the bus, and turn the outcome into HTTP."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import structlog

from bus._caller import OperationFailed, OperationTimeout
from bus._catalog import OperationEntry, OperationNotFound
from bus._gateway._audit import CallRecord
from bus._gateway._auth import Authenticator
from bus._gateway._calls import CallStore, StoredCall, request_hash
from bus._gateway._clients import Client
from bus._gateway._problems import Problem, from_operation_error, invalid
from bus._gateway._quota import QuotaStore
from bus._gateway._rate_limit import RateLimiter, retry_after
from bus._gateway._schemas import operation_schemas
from bus._json_schema import validate_json
from bus._runtime import Bus
from schemas import FieldProblem, InvalidMessage

log = structlog.get_logger("civicbus.gateway")

_MAX_KEY_LENGTH = 200


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class GatewayService:
    """The gateway's work that blocks (database, bus), run in the gateway's thread pool."""

    def __init__(
        self,
        bus: Bus,
        authenticator: Authenticator,
        limiter: RateLimiter,
        calls: CallStore,
        pool: ThreadPoolExecutor,
        *,
        quotas: QuotaStore | None = None,
    ) -> None:
        self.bus = bus
        self.quotas = quotas
        self.settings = bus.settings.gateway
        self.authenticator = authenticator
        self.limiter = limiter
        self.calls = calls
        self._pool = pool

    def client(self, headers: Mapping[str, str], record: CallRecord) -> Client:
        """The authenticated caller, within its rate limit."""
        client = self.authenticator.authenticate(headers)
        record.client = client.name
        wait = self.limiter.take(client.name, client.rate_per_minute)
        if wait > 0:
            raise Problem(
                "rate-limited",
                f"client {client.name} sent more than its rate limit allows; wait and retry",
                headers={"Retry-After": retry_after(wait)},
            )
        return client

    def _within_quota(self, client: Client) -> None:
        limit = client.calls_per_day or self.settings.rate_limit.calls_per_day
        if self.quotas is None or limit is None:
            return
        wait = self.quotas.take(client.name, limit)
        if wait > 0:
            raise Problem(
                "quota-exceeded",
                f"client {client.name} has used its {limit} calls for today (UTC); the quota "
                "renews at midnight UTC — ask the bus operators for a larger one",
                headers={"Retry-After": retry_after(wait)},
            )

    def call(
        self,
        headers: Mapping[str, str],
        name: str,
        raw: bytes,
        record: CallRecord,
        *,
        respond_async: bool,
        idempotency_key: str | None,
    ) -> Answer:
        client = self.client(headers, record)
        entry = self._operation(name)
        if not client.may("operation", name):
            raise Problem(
                "forbidden",
                f"client {client.name} is not granted {name}; ask the bus operators "
                f"(`civicbus clients grant {client.name} --operation {name}`)",
            )
        data = parse_json(raw, headers.get("content-type"))
        request_schema, _ = operation_schemas(self.bus, entry)
        try:
            validate_json(request_schema, data)
        except InvalidMessage as exc:
            raise invalid(exc.problems) from None
        self._within_quota(client)
        record.person_id = self._person_id(data)
        record.request_id = uuid.uuid4().hex
        record.authorised = True
        if idempotency_key is not None or respond_async:
            replay = self._claim(client, name, data, record, idempotency_key)
            if replay is not None:
                return replay
        if respond_async:
            self._pool.submit(self._complete_later, name, data, record)
            return Answer(
                202,
                {"id": record.request_id, "operation": name, "state": "pending"},
                {"Location": f"/api/v1/messages/{record.request_id}", "Retry-After": "1"},
            )
        answer = self._invoke(name, data, record)
        if idempotency_key is not None:
            self.calls.complete(record.request_id, answer.status, answer.body)
        return answer

    def _operation(self, name: str) -> OperationEntry:
        try:
            return self.bus.catalog.get(name)
        except OperationNotFound as exc:
            raise Problem("unknown-operation", str(exc)) from None

    def _person_id(self, data: dict[str, Any]) -> str | None:
        for name in self.settings.person_id_fields:
            value = data.get(name)
            if isinstance(value, str) and value:
                return value
        return None

    def _claim(
        self, client: Client, name: str, data: Any, record: CallRecord, key: str | None
    ) -> Answer | None:
        if key is not None and not 0 < len(key) <= _MAX_KEY_LENGTH:
            raise Problem(
                "invalid-request",
                f"the Idempotency-Key is {len(key)} characters; use 1 to {_MAX_KEY_LENGTH} "
                "(a UUID is a good key)",
            )
        hash_ = request_hash(name, data)
        assert record.request_id is not None
        existing = self.calls.claim(
            call_id=record.request_id,
            client=client.name,
            operation=name,
            idempotency_key=key,
            hash_=hash_,
        )
        if existing is None:
            return None
        record.request_id = existing.id  # the journal links the retry to the first call
        if existing.request_hash != hash_:
            raise Problem(
                "idempotency-key-reused",
                f"Idempotency-Key {key!r} was used for a different request; use a new key "
                "for a new request",
            )
        existing = self.settle_abandoned(existing)
        if existing.state == "pending":
            raise Problem(
                "idempotency-key-in-progress",
                f"the call with Idempotency-Key {key!r} is still running; retry shortly",
                headers={"Retry-After": "1"},
            )
        assert existing.status is not None
        return Answer(existing.status, existing.body, {"Idempotent-Replayed": "true"})

    def settle_abandoned(self, call: StoredCall) -> StoredCall:
        """A call still pending after twice the call timeout, settled as a timeout: whoever
        took it has answered or timed out by then, unless its process died in between. The
        legacy system may have acted on it, so it is not sent again."""
        waited = (datetime.now(UTC) - call.created_at).total_seconds()
        if call.state != "pending" or waited <= 2 * self.settings.call_timeout:
            return call
        problem = Problem(
            "bus-timeout",
            f"the gateway process that took call {call.id} stopped before it answered; the "
            "legacy system may have acted on it — look the request id up in the journal "
            "before sending it again with a new Idempotency-Key",
            request_id=call.id,
        )
        self.calls.complete(call.id, problem.status, problem.body())
        log.warning("gateway_call_abandoned", request_id=call.id, operation=call.operation)
        return replace(call, state="completed", status=problem.status, body=problem.body())

    def _complete_later(self, name: str, data: dict[str, Any], record: CallRecord) -> None:
        answer = self._invoke(name, data, record)
        assert record.request_id is not None
        try:
            self.calls.complete(record.request_id, answer.status, answer.body)
        except Exception as exc:
            log.error("gateway_async_result_lost", request_id=record.request_id, error=str(exc))

    def _invoke(self, name: str, data: dict[str, Any], record: CallRecord) -> Answer:
        assert record.request_id is not None
        try:
            reply = self.bus.call(
                name,
                data,
                timeout=self.settings.call_timeout,
                subject=record.person_id,
                request_id=record.request_id,
                traceparent=record.traceparent,
            )
        except OperationFailed as failed:
            return _problem(from_operation_error(failed.error, record.request_id))
        except OperationTimeout as exc:
            return _problem(Problem("bus-timeout", str(exc), request_id=record.request_id))
        except InvalidMessage as exc:
            return _problem(invalid(exc.problems))
        except OperationNotFound as exc:
            return _problem(Problem("unknown-operation", str(exc)))
        except Exception as exc:
            log.exception("gateway_call_failed", operation=name)
            detail = f"the gateway could not complete the call ({type(exc).__name__}); retry"
            return _problem(Problem("internal-error", detail, request_id=record.request_id))
        return Answer(200, reply.model_dump(mode="json"), {"X-Request-Id": record.request_id})


def _problem(problem: Problem) -> Answer:
    return Answer(problem.status, problem.body(), problem.headers)


def parse_json(raw: bytes, content_type: str | None) -> dict[str, Any]:
    media = (content_type or "application/json").split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise Problem(
            "unsupported-media-type",
            f"the body is {media}; send the canonical request as application/json",
        )
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Problem("invalid-json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise invalid([FieldProblem("data", "must be a JSON object: the operation's request")])
    return data
