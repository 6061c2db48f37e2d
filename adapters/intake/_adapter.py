"""Operations that publish what they are given as events, through a source of the same
adapter: the operation hands the message to the source's thread and waits for the broker's
confirm, then answers with the event's id."""

from __future__ import annotations

import importlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from pydantic import BaseModel, Field, create_model, field_validator

from adapters._base import Adapter, Health
from adapters._config import AdapterConfig
from adapters._errors import AdapterConfigError, LegacyUnavailable
from adapters._operation import CallContext, Emitter, Invoke, Operation, Source, SourceEvent
from schemas import TYPE_NAME_PATTERN

_WAIT_FOR_BUS = 30.0  # seconds an operation waits for its event to be confirmed


class IntakeChannel(BaseModel):
    """One operation: the type of the event it publishes and the model of what it accepts."""

    event_type: str = Field(pattern=TYPE_NAME_PATTERN)
    model: str = Field(
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
        description="`package.module:Model`, the pydantic model a message must satisfy.",
    )
    description: str = ""


class IntakeConfig(AdapterConfig):
    kind: str = "intake"
    channels: dict[str, IntakeChannel] = Field(min_length=1)

    @field_validator("channels")
    @classmethod
    def _operation_names(cls, value: dict[str, IntakeChannel]) -> dict[str, IntakeChannel]:
        bad = [
            name for name in value if not name.replace("-", "").isalnum() or name != name.lower()
        ]
        if bad:
            raise ValueError(f"channel names are lower-case words with hyphens, got {bad}")
        return value


class Accepted(BaseModel):
    """The message is on the bus as the event `event_id`."""

    event_id: str
    event_type: str


@dataclass
class _Submission:
    payload: BaseModel
    context: CallContext
    answer: Future[str]


class IntakeAdapter(Adapter[IntakeConfig]):
    kind = "intake"
    config_model = IntakeConfig

    def __init__(self, name: str, config: IntakeConfig) -> None:
        super().__init__(name, config)
        self._models = {op: _import_model(op, ch.model) for op, ch in config.channels.items()}
        # The schema registry types envelopes by class: the event gets a class of its own,
        # apart from the same model registered as the operation's request.
        self._events = {
            op: create_model(f"{model.__name__}Event", __base__=model)
            for op, model in self._models.items()
        }
        self._queues: dict[str, queue.Queue[_Submission]] = {
            op: queue.Queue() for op in config.channels
        }
        self._running: set[str] = set()
        # Sources that have stopped: a submission then fails at once instead of waiting in a
        # queue no one reads. The lock makes checking and queueing one step against stopping.
        self._stopped: set[str] = set()
        self._handover = threading.Lock()

    def start(self) -> None:
        pass  # nothing to reach: the bus is the other side

    def stop(self) -> None:
        pass

    def health(self) -> Health:
        idle = sorted(set(self.config.channels) - self._running)
        if idle:
            return Health(ok=False, detail=f"not publishing yet: {', '.join(idle)}")
        return Health(ok=True, detail=f"{len(self._running)} channels publishing")

    def operations(self) -> list[Operation]:
        return [
            Operation(
                name,
                self._models[name],
                Accepted,
                self._submitter(name),
                description=channel.description or f"Publish a {channel.event_type} event.",
                # The event id comes from the request id: a repeated request is the same event.
                idempotent=True,
            )
            for name, channel in self.config.channels.items()
        ]

    def sources(self) -> list[Source]:
        return [
            Source(
                name,
                self._events[name],
                channel.event_type,
                self._publisher(name),
                description=f"what is submitted to {self.name}.{name}",
            )
            for name, channel in self.config.channels.items()
        ]

    def _submitter(self, name: str) -> Invoke:
        channel = self.config.channels[name]

        def submit(request: BaseModel, context: CallContext) -> BaseModel:
            answer: Future[str] = Future()
            with self._handover:
                if name in self._stopped:
                    raise _not_publishing(self.name, name)
                self._queues[name].put(_Submission(request, context, answer))
            try:
                event_id = answer.result(_WAIT_FOR_BUS)
            except FutureTimeout:
                raise LegacyUnavailable(
                    f"{self.name}.{name}: the event was not confirmed by the broker within "
                    f"{_WAIT_FOR_BUS}s; send the request again (it is the same event)"
                ) from None
            return Accepted(event_id=event_id, event_type=channel.event_type)

        return submit

    def _publisher(self, name: str) -> Callable[[Emitter, threading.Event], None]:
        def run(emitter: Emitter, stop: threading.Event) -> None:
            with self._handover:
                self._running.add(name)
                self._stopped.discard(name)
            try:
                while not stop.is_set():
                    try:
                        item = self._queues[name].get(timeout=0.2)
                    except queue.Empty:
                        continue
                    key = f"request/{item.context.request_id}"
                    try:
                        emitter.emit(
                            [
                                SourceEvent(
                                    self._events[name].model_validate(item.payload.model_dump()),
                                    key=key,
                                    correlationid=item.context.correlation_id,
                                )
                            ]
                        )
                    except Exception as error:  # the caller gets a retryable error
                        item.answer.set_exception(error)
                        continue
                    message_id = getattr(emitter, "message_id", None)
                    item.answer.set_result(message_id(key) if callable(message_id) else key)
            finally:
                with self._handover:
                    self._running.discard(name)
                    self._stopped.add(name)
                    left = _drain(self._queues[name])
                for item in left:  # the caller gets a retryable error at once
                    item.answer.set_exception(_not_publishing(self.name, name))

        return run


def _not_publishing(adapter: str, name: str) -> LegacyUnavailable:
    return LegacyUnavailable(
        f"{adapter}.{name} stopped publishing before this request was sent; send it again "
        "(it is the same event)",
        sent=False,
    )


def _drain(waiting: queue.Queue[_Submission]) -> list[_Submission]:
    left = []
    while True:
        try:
            left.append(waiting.get_nowait())
        except queue.Empty:
            return left


def _import_model(operation: str, reference: str) -> type[BaseModel]:
    module_name, _, attribute = reference.partition(":")
    try:
        model = getattr(importlib.import_module(module_name), attribute, None)
    except ImportError as error:
        raise AdapterConfigError(f"{operation}: cannot import {reference!r}: {error}") from None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise AdapterConfigError(f"{operation}: {reference!r} is not a pydantic model")
    return model
