"""The contract every adapter kind keeps, as pytest tests a kind's test class inherits."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from adapters._base import Adapter
from adapters._errors import AdapterError, CircuitOpen, LegacyTimeout, LegacyUnavailable
from adapters._guard import Guard
from adapters._operation import CallContext, Operation
from adapters.testing._hooks import LegacyControl, SampleCall, bounded
from adapters.testing._kinds import build_registered, registered_kind


class AdapterContract:
    """Lifecycle, health, timeouts, circuit breaker and reconnect, for any adapter kind.

    Subclass it in a class whose name starts with `Test` and provide three fixtures:

    - `adapter_config` -> the instance's config as YAML would give it (a dict with `kind`);
      the kit sets `timeout`, `breaker` and `retry` itself, small, so the tests are quick;
    - `legacy` -> a `LegacyControl` (`make_slow(delay)`, `make_unreachable()`,
      `make_healthy()`) over the legacy system or its stand-in; it may ask for the started
      `adapter` fixture. A test may end with the system still broken: a `legacy` fixture
      whose system outlives the test (a server with a wider scope) mends it in teardown;
    - `sample_call` -> a `SampleCall`: one operation, a request, and what the reply holds.

    The kit gives `adapter` (built through the entry-point registry, started, stopped after
    the test) and `guard` (the protections civicbus puts around every call). Example:

        from adapters.testing import AdapterContract, LegacyControl, SampleCall

        class TestRegisterContract(AdapterContract):
            @pytest.fixture
            def adapter_config(self, register_server) -> dict[str, Any]:
                return {"kind": "register", "url": register_server.url}

            @pytest.fixture
            def legacy(self, register_server) -> LegacyControl:
                return register_server  # has make_slow, make_unreachable, make_healthy

            @pytest.fixture
            def sample_call(self) -> SampleCall:
                return SampleCall("get-person", {"id": "1"}, expect={"name": "Mari"})

    `BusContract` adds the same sample call through the bus, and at-least-once through a
    crash; `AdapterContract` needs nothing but the adapter and its legacy system.
    Timings are class attributes; raise them for a legacy stand-in that is slow to start.
    """

    instance_name = "contract-subject"
    timeout = 0.25  # the adapter's own timeout, seconds
    slow_delay = 2.0  # how slow the legacy system is made: well past the timeout
    failure_threshold = 2
    reset_timeout = 0.4

    # -- hooks the subclass provides ---------------------------------------------------------

    @pytest.fixture
    def adapter_config(self) -> dict[str, Any]:
        raise NotImplementedError(
            f"{type(self).__name__} must define the `adapter_config` fixture: the adapter "
            "instance's config as a dict, with its `kind`"
        )

    @pytest.fixture
    def legacy(self) -> LegacyControl:
        raise NotImplementedError(
            f"{type(self).__name__} must define the `legacy` fixture: an object with "
            "make_slow(delay), make_unreachable() and make_healthy() for the legacy system"
        )

    @pytest.fixture
    def sample_call(self) -> SampleCall:
        raise NotImplementedError(
            f"{type(self).__name__} must define the `sample_call` fixture: "
            "SampleCall(operation, request, expect=...) that succeeds on a healthy system"
        )

    # -- what the kit builds from them ---------------------------------------------------------

    @pytest.fixture
    def contract_config(self, adapter_config: dict[str, Any]) -> dict[str, Any]:
        """The subclass's config with the kit's small timings."""
        return {
            **adapter_config,
            "timeout": self.timeout,
            "breaker": {
                "failure_threshold": self.failure_threshold,
                "reset_timeout": self.reset_timeout,
            },
            # One attempt per call: each failure the test causes is one failure the breaker
            # counts, and no backoff stretches the timings.
            "retry": {"attempts": 1},
        }

    @pytest.fixture
    def adapter(self, contract_config: dict[str, Any]) -> Iterator[Adapter[Any]]:
        built = build_registered(self.instance_name, contract_config)
        built.start()
        try:
            yield built
        finally:
            built.stop()

    @pytest.fixture
    def guard(self, adapter: Adapter[Any]) -> Guard:
        return Guard(adapter.name, adapter.config)

    def call(self, adapter: Adapter[Any], guard: Guard, sample: SampleCall) -> dict[str, Any]:
        """The sample call through `guard`, its reply as JSON; bounded in time."""
        operation = _operation(adapter, sample.operation)
        request = operation.request.model_validate(dict(sample.request))
        context = CallContext(request_id=str(uuid.uuid4()), correlation_id=str(uuid.uuid4()))
        reply = bounded(
            lambda: guard.call(operation, request, context),
            within=self._call_bound(),
            what=f"{adapter.name}.{sample.operation}",
        )
        return reply.model_dump(mode="json")

    def _call_bound(self) -> float:
        # A timed-out call takes `timeout`; the slack is for a loaded machine, and stays
        # below `slow_delay`, so an adapter that waits for the slow system fails the bound.
        return min(self.timeout * 4 + 0.5, self.slow_delay * 0.9)

    def wait_for_probe(
        self, adapter: Adapter[Any], guard: Guard, sample: SampleCall
    ) -> dict[str, Any]:
        """Call until the open circuit lets the half-open probe through; the probe's reply."""
        give_up = time.monotonic() + self.reset_timeout * 10 + 2
        while True:
            try:
                return self.call(adapter, guard, sample)
            except CircuitOpen:
                if time.monotonic() > give_up:
                    raise
                time.sleep(self.reset_timeout / 8)

    def open_circuit(
        self, adapter: Adapter[Any], guard: Guard, legacy: LegacyControl, sample: SampleCall
    ) -> None:
        legacy.make_unreachable()
        for _ in range(self.failure_threshold):
            with pytest.raises(LegacyUnavailable):
                self.call(adapter, guard, sample)

    # -- the contract --------------------------------------------------------------------------

    def test_kind_is_registered_under_its_entry_point(self, adapter: Adapter[Any]) -> None:
        assert registered_kind(adapter.config.kind).kind == adapter.config.kind

    def test_sample_operation_is_offered_after_start(
        self, adapter: Adapter[Any], sample_call: SampleCall
    ) -> None:
        assert sample_call.operation in [op.name for op in adapter.operations()]

    def test_sample_call_succeeds_through_the_guard(
        self, adapter: Adapter[Any], guard: Guard, sample_call: SampleCall
    ) -> None:
        sample_call.verify(self.call(adapter, guard, sample_call))

    def test_stopped_adapter_starts_again_and_serves(
        self, adapter: Adapter[Any], guard: Guard, sample_call: SampleCall
    ) -> None:
        adapter.stop()
        adapter.start()
        sample_call.verify(self.call(adapter, guard, sample_call))

    def test_stop_twice_is_harmless(self, adapter: Adapter[Any]) -> None:
        adapter.stop()
        adapter.stop()  # must not raise: a host stops everything on the way out, once more

    def test_health_is_ok_when_the_legacy_system_is_up(self, adapter: Adapter[Any]) -> None:
        assert adapter.health().ok

    def test_health_is_not_ok_with_a_detail_when_the_legacy_system_is_down(
        self, adapter: Adapter[Any], legacy: LegacyControl
    ) -> None:
        legacy.make_unreachable()
        health = bounded(adapter.health, within=self._call_bound(), what="health")
        assert (health.ok, bool(health.detail.strip())) == (False, True)

    def test_health_answers_while_the_legacy_system_is_slow(
        self, adapter: Adapter[Any], legacy: LegacyControl
    ) -> None:
        legacy.make_slow(self.slow_delay)
        health = bounded(adapter.health, within=self._call_bound(), what="health")
        assert not health.ok

    def test_slow_legacy_system_gives_a_timeout_not_a_hang(
        self,
        adapter: Adapter[Any],
        guard: Guard,
        legacy: LegacyControl,
        sample_call: SampleCall,
    ) -> None:
        legacy.make_slow(self.slow_delay)
        with pytest.raises(LegacyTimeout):
            self.call(adapter, guard, sample_call)

    def test_failures_open_the_circuit_which_then_fails_fast(
        self,
        adapter: Adapter[Any],
        guard: Guard,
        legacy: LegacyControl,
        sample_call: SampleCall,
    ) -> None:
        self.open_circuit(adapter, guard, legacy, sample_call)
        legacy.make_healthy()
        # The system is back, yet the call is refused: it never reached the legacy system.
        with pytest.raises(CircuitOpen):
            self.call(adapter, guard, sample_call)

    def test_a_successful_probe_after_the_reset_timeout_closes_the_circuit(
        self,
        adapter: Adapter[Any],
        guard: Guard,
        legacy: LegacyControl,
        sample_call: SampleCall,
    ) -> None:
        self.open_circuit(adapter, guard, legacy, sample_call)
        legacy.make_healthy()
        sample_call.verify(self.wait_for_probe(adapter, guard, sample_call))
        assert guard.state == "closed"

    def test_a_failing_probe_opens_the_circuit_again(
        self,
        adapter: Adapter[Any],
        guard: Guard,
        legacy: LegacyControl,
        sample_call: SampleCall,
    ) -> None:
        self.open_circuit(adapter, guard, legacy, sample_call)
        with pytest.raises(LegacyUnavailable):
            self.wait_for_probe(adapter, guard, sample_call)
        assert guard.state == "open"

    def test_calls_succeed_again_when_the_legacy_system_is_back(
        self,
        adapter: Adapter[Any],
        guard: Guard,
        legacy: LegacyControl,
        sample_call: SampleCall,
    ) -> None:
        legacy.make_unreachable()
        with pytest.raises(AdapterError):
            self.call(adapter, guard, sample_call)
        legacy.make_healthy()
        sample_call.verify(self.call(adapter, guard, sample_call))


def _operation(adapter: Adapter[Any], name: str) -> Operation:
    offered = {op.name: op for op in adapter.operations()}
    if name not in offered:
        raise AssertionError(
            f"{adapter.name} offers no operation {name!r} (it offers {sorted(offered)}); "
            "fix the sample_call fixture"
        )
    return offered[name]
