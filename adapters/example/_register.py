"""The legacy system the example kind wraps: an in-memory register of keyed records.

It stands where a real adapter has a client of a remote system (a SOAP stub, a database
driver), and it behaves like one: every call takes a `timeout` and raises the exceptions a
network client raises — `TimeoutError`, `ConnectionRefusedError` — or a fault of its own.
Tests tell it to be slow, down or faulty, so the contract kit can break it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping


class RegisterFault(Exception):
    """The register answered with a fault, as a SOAP service answers with a SOAP fault.

    `client` faults are about the request (it will fail again, however often it is sent);
    the others are the register's own trouble and may pass.
    """

    def __init__(self, code: str, message: str, *, client: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.client = client


class Register:
    """A dict of records behind the interface of a remote system."""

    def __init__(self, seed: Mapping[str, str] | None = None, *, latency: float = 0.0) -> None:
        self._records = dict(seed or {})
        self._lock = threading.Lock()
        self.latency = latency
        self.reachable = True
        self.fault: RegisterFault | None = None
        self.calls = 0  # requests that reached the register, for tests

    def get(self, key: str, *, timeout: float) -> str:
        self._arrive(timeout)
        with self._lock:
            if key not in self._records:
                raise RegisterFault("not_found", f"no record with key {key!r}", client=True)
            return self._records[key]

    def put(self, key: str, value: str, *, timeout: float) -> None:
        self._arrive(timeout)
        if not value:
            raise RegisterFault("empty_value", "a record's value must not be empty", client=True)
        with self._lock:
            self._records[key] = value

    def ping(self, *, timeout: float) -> None:
        self._arrive(timeout)

    # Controls a test uses to break the register; they match adapters.testing.LegacyControl.

    def make_slow(self, delay: float) -> None:
        """Every call takes `delay` seconds from now on."""
        self.latency = delay

    def make_unreachable(self) -> None:
        """Every call is refused, as by a host that is down."""
        self.reachable = False

    def make_faulty(self, code: str = "internal_error", message: str = "register failed") -> None:
        """Every call answers with a server fault."""
        self.fault = RegisterFault(code, message, client=False)

    def make_healthy(self) -> None:
        """Fast, reachable and without faults again."""
        self.latency = 0.0
        self.reachable = True
        self.fault = None

    def _arrive(self, timeout: float) -> None:
        if not self.reachable:
            raise ConnectionRefusedError("register refused the connection")
        self.calls += 1
        if self.latency > timeout:
            # A client with a socket timeout gives up after `timeout`; the server may still act.
            time.sleep(timeout)
            raise TimeoutError(f"register gave no answer within {timeout}s")
        time.sleep(self.latency)
        if self.fault is not None:
            raise self.fault
