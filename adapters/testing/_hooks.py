"""What an adapter kind's tests hand the contract kit: a way to break its legacy system, and
one call that must work."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")


@runtime_checkable
class LegacyControl(Protocol):
    """Breaks and mends the legacy system (or its stand-in) behind the adapter under test."""

    def make_slow(self, delay: float) -> None:
        """Every request takes `delay` seconds (longer than the adapter's timeout)."""

    def make_unreachable(self) -> None:
        """Connections are refused, as when the host is down."""

    def make_healthy(self) -> None:
        """Fast and reachable again; the adapter must recover without a restart."""


@dataclass(frozen=True)
class SampleCall:
    """One call that succeeds against the healthy legacy system.

    `expect` holds fields the reply must have, with their values (as JSON: dates as strings);
    `check`, when given, is called with the whole reply as JSON and asserts what it likes.
    """

    operation: str
    request: Mapping[str, Any]
    expect: Mapping[str, Any] = field(default_factory=dict)
    check: Callable[[dict[str, Any]], None] | None = None

    def verify(self, reply: dict[str, Any]) -> None:
        missing = {key: value for key, value in self.expect.items() if reply.get(key) != value}
        assert not missing, (
            f"{self.operation} replied {reply}, expected these fields to be {missing}"
        )
        if self.check is not None:
            self.check(reply)


class Hung(AssertionError):
    """A call the contract bounds in time did not return."""


def bounded(call: Callable[[], T], *, within: float, what: str) -> T:
    """`call()`'s result or exception, failing the test if it takes longer than `within`.

    The call runs in a daemon thread so a hung legacy client cannot hang the test run.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed back to the test thread, whatever it is
            failure.append(exc)

    worker = threading.Thread(target=run, name=f"contract-{what}", daemon=True)
    worker.start()
    worker.join(within)
    if worker.is_alive():
        raise Hung(
            f"{what} did not return within {within}s; bound every legacy call by the "
            "adapter's `timeout` (a socket timeout, a statement timeout)"
        )
    if failure:
        raise failure[0]
    return outcome[0]
