"""The example adapter: two operations and a health check over the in-memory register.

A new kind follows the same shape: a config model, a client made in `__init__`, `start`
checking the legacy system answers, operations that translate the client's exceptions into
civicbus errors, and a cheap `health`. The Guard around every call adds the concurrency cap,
the circuit breaker and the retries; the adapter itself must bound each call by its timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import structlog
from pydantic import BaseModel, Field

from adapters._base import Adapter, Health
from adapters._config import AdapterConfig
from adapters._errors import (
    AdapterError,
    InvalidRequest,
    LegacyFault,
    LegacyTimeout,
    LegacyUnavailable,
)
from adapters._operation import CallContext, Invoke, Operation
from adapters.example._register import Register, RegisterFault

log = structlog.get_logger("civicbus.adapter.example")

RequestT = TypeVar("RequestT", bound=BaseModel)


class ExampleConfig(AdapterConfig):
    """`adapters: {register: {kind: example, seed: {"1": "one"}}}`"""

    seed: dict[str, str] = Field(
        default_factory=dict, description="Records the register holds when it is created."
    )
    latency: float = Field(0.0, ge=0, description="Seconds every call to the register takes.")


class GetRecord(BaseModel):
    key: str = Field(min_length=1, description="The record's key.")


class PutRecord(BaseModel):
    key: str = Field(min_length=1, description="The record's key.")
    value: str = Field(description="The new value; the register refuses an empty one.")


class Record(BaseModel):
    key: str
    value: str


class ExampleAdapter(Adapter[ExampleConfig]):
    """An in-memory register of keyed records, wrapped as a civicbus adapter."""

    kind = "example"
    config_model = ExampleConfig

    def __init__(self, name: str, config: ExampleConfig) -> None:
        super().__init__(name, config)
        # The legacy system outlives the adapter's start and stop, as a real one would.
        self.register = Register(config.seed, latency=config.latency)
        self._started = False

    def start(self) -> None:
        # A legacy system that is down at start is reported, not fatal: the adapter serves
        # as soon as it is back, and health says so meanwhile.
        self._started = True
        health = self.health()
        log.info(
            "adapter_started",
            adapter=self.name,
            kind=self.kind,
            healthy=health.ok,
            detail=health.detail,
        )

    def stop(self) -> None:
        if self._started:
            self._started = False
            log.info("adapter_stopped", adapter=self.name, kind=self.kind)

    def health(self) -> Health:
        try:
            with self._translated("health", sent=False):
                self.register.ping(timeout=self.config.timeout)
        except AdapterError as exc:
            return Health(ok=False, detail=exc.message)
        return Health(ok=True, detail=f"register answered within {self.config.timeout}s")

    def operations(self) -> list[Operation]:
        return [
            Operation(
                name="get-record",
                request=GetRecord,
                response=Record,
                invoke=_typed(GetRecord, self._get_record),
                description="Read one record by its key.",
                idempotent=True,
            ),
            Operation(
                name="put-record",
                request=PutRecord,
                response=Record,
                invoke=_typed(PutRecord, self._put_record),
                description="Create or replace one record.",
            ),
        ]

    def _get_record(self, request: GetRecord, context: CallContext) -> Record:
        with self._translated("get-record"):
            value = self.register.get(request.key, timeout=self._timeout(context))
        return Record(key=request.key, value=value)

    def _put_record(self, request: PutRecord, context: CallContext) -> Record:
        with self._translated("put-record"):
            self.register.put(request.key, request.value, timeout=self._timeout(context))
        return Record(key=request.key, value=request.value)

    def _timeout(self, context: CallContext) -> float:
        # Never wait longer than the caller will: its deadline may come before our timeout.
        if context.deadline is None:
            return self.config.timeout
        return max(0.0, min(self.config.timeout, context.deadline - time.monotonic()))

    @contextmanager
    def _translated(self, what: str, *, sent: bool = True) -> Iterator[None]:
        """The register's exceptions as the civicbus errors the Guard and callers act on."""
        try:
            yield
        except RegisterFault as exc:
            raise LegacyFault(
                f"{self.name}: the register refused {what}: {exc.message}",
                fault_code=exc.code,
                retryable=not exc.client,
            ) from exc
        except TimeoutError as exc:
            raise LegacyTimeout(
                f"{self.name}: the register did not answer {what} within the timeout; "
                "it may still have acted. Raise `timeout` if it is slow by nature",
            ) from exc
        except ConnectionError as exc:
            raise LegacyUnavailable(
                f"{self.name}: cannot reach the register for {what} ({exc}); check that it is up",
                sent=sent and not isinstance(exc, ConnectionRefusedError),
            ) from exc


def _typed(model: type[RequestT], handler: Callable[[RequestT, CallContext], BaseModel]) -> Invoke:
    """`handler` as an Operation's invoke: the host passes an instance of `model`."""

    def invoke(request: BaseModel, context: CallContext) -> BaseModel:
        if not isinstance(request, model):
            raise InvalidRequest(
                f"expected a {model.__name__} request, got {type(request).__name__}; "
                "validate the request with the operation's request model first"
            )
        return handler(request, context)

    return invoke
