"""The steps that decide where and when a message goes: to, wire tap, recipient list,
aggregator, throttle and delay."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from routes._envelopes import AGGREGATE_PATH
from routes._expr import Expression, ExpressionError
from routes._model import (
    AggregateSpec,
    DelaySpec,
    RecipientsSpec,
    Target,
    ThrottleSpec,
    WiretapSpec,
)
from routes._steps import StepRunner

if TYPE_CHECKING:
    from routes._message import Completed, Message, Runtime

_MAX_THROTTLE_KEYS = 10_000  # per-key limiters kept; the least recently used go first


def deliver(target: Target, message: Message, runtime: Runtime, step: str) -> None:
    if target.channel is not None:
        runtime.send(message, target.channel, step=step)
    else:
        assert target.operation is not None  # the model requires one of the two
        runtime.call(target.operation, message.data, timeout=target.timeout)


class ToStep(StepRunner):
    """Send to a channel, or call an operation and wait for it to succeed; the message goes on
    unchanged, so a route may send to several places in turn."""

    kind = "to"

    def __init__(self, label: str, spec: Target) -> None:
        super().__init__(label)
        self.target = spec

    def run(self, message: Message, runtime: Runtime) -> list[Message]:
        deliver(self.target, message, runtime, self.label)
        return [message]


class WiretapStep(StepRunner):
    kind = "wiretap"

    def __init__(self, label: str, spec: WiretapSpec) -> None:
        super().__init__(label)
        self.channel = spec.channel

    def run(self, message: Message, runtime: Runtime) -> list[Message]:
        runtime.send(message, self.channel, step=self.label)
        return [message]


class RecipientsStep(StepRunner):
    kind = "recipients"

    def __init__(self, label: str, spec: RecipientsSpec) -> None:
        super().__init__(label)
        self.targets = spec.to
        self.expr = Expression(spec.expr) if spec.expr is not None else None

    def run(self, message: Message, runtime: Runtime) -> list[Message]:
        targets = list(self.targets)
        if self.expr is not None:
            channels = self.expr(message.context())
            if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
                raise ExpressionError(
                    f"recipients: {self.expr.source!r} gave {channels!r}, not a list of channels"
                )
            targets += [Target(channel=channel) for channel in channels]
        for index, target in enumerate(targets):
            deliver(target, message, runtime, f"{self.label}.{index}")
        return [message]


class AggregateStep(StepRunner):
    """Combines messages with equal keys into one; the parts are kept by the runtime (in SQL
    on the bus) so a restart loses none and counts none twice."""

    kind = "aggregate"

    def __init__(self, label: str, spec: AggregateSpec) -> None:
        super().__init__(label)
        self.key = Expression(spec.key)
        self.as_type = spec.as_
        self.size = spec.size
        self.timeout = spec.timeout
        self.predicate = Expression(spec.complete_when) if spec.complete_when else None

    def complete(self, parts: list[dict[str, Any]]) -> bool:
        if self.size is not None and len(parts) >= self.size:
            return True
        if self.predicate is None:
            return False
        return self.predicate.test({"parts": parts, "count": len(parts)})

    def run(self, message: Message, runtime: Runtime) -> list[Message]:
        key = self.key(message.context())
        if not isinstance(key, str | int):
            raise ExpressionError(f"aggregate key {self.key.source!r} gave {key!r}")
        completed = runtime.aggregate(self.label, str(key), message, self)
        if completed is None:
            return []
        return [combined(message, self.as_type, str(key), completed)]


def combined(message: Message, as_type: str, key: str, completed: Completed) -> Message:
    """The aggregate as a message; its path names the group, so completing the same group
    twice (after a crash, or by timeout and size at once) gives the same ids."""
    parts = completed.parts
    return message.but(
        type=as_type,
        data={"key": key, "count": len(parts), "parts": parts},
        path=f"{AGGREGATE_PATH}{completed.group}",
        extensions={},
    )


class ThrottleStep(StepRunner):
    """At most `rate` messages a second (token bucket, `burst` at once) and `concurrency` in
    flight, per key, in this worker. Waiting here holds the message unacknowledged, which
    keeps the rest in the broker's queue: back-pressure, nothing dropped."""

    kind = "throttle"

    def __init__(self, label: str, spec: ThrottleSpec) -> None:
        super().__init__(label)
        self.spec = spec
        self.key = Expression(spec.key) if spec.key is not None else None
        self._limiters: OrderedDict[str, _Limiter] = OrderedDict()
        self._lock = threading.Lock()

    def run(self, message: Message, runtime: Runtime) -> list[Message]:
        key = str(self.key(message.context())) if self.key is not None else ""
        limiter = self._limiter(key)
        limiter.acquire()
        runtime.after(limiter.release)
        return [message]

    def _limiter(self, key: str) -> _Limiter:
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = self._limiters[key] = _Limiter(self.spec)
                if len(self._limiters) > _MAX_THROTTLE_KEYS:
                    self._limiters.popitem(last=False)
            self._limiters.move_to_end(key)
            return limiter


class _Limiter:
    def __init__(self, spec: ThrottleSpec) -> None:
        self.rate = spec.rate
        self.burst = float(spec.burst)
        self.tokens = float(spec.burst)
        self.stamp = time.monotonic()
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(spec.concurrency) if spec.concurrency else None

    def acquire(self) -> None:
        if self.slots is not None:
            self.slots.acquire()
        if self.rate is None:
            return
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            time.sleep(wait)

    def release(self) -> None:
        if self.slots is not None:
            self.slots.release()


class DelayStep(StepRunner):
    """Holds the message in the broker for `seconds` (not in this worker), then the route
    continues it at the next step."""

    kind = "delay"

    def __init__(self, label: str, spec: DelaySpec, index: int) -> None:
        super().__init__(label)
        self.seconds = spec.seconds
        self.resume_at = index + 1

    def run(self, message: Message, runtime: Runtime) -> list[Message]:
        runtime.park(message, resume_at=self.resume_at, seconds=self.seconds)
        return []
