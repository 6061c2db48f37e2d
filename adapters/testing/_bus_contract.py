"""The contract through the bus: the sample call as another service makes it, and a request
that survives the death of the process serving it (at least once)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection

from adapters._base import Adapter
from adapters._host import AdapterHost
from adapters.testing._contract import AdapterContract
from adapters.testing._hooks import LegacyControl, SampleCall
from bus import Bus, Hop, OperationEntry, OperationFailed, Settings, Topology


class BusContract(AdapterContract):
    """`AdapterContract` plus the round trip over the bus, on the embedded broker by default.

    Override `contract_broker_url` to run on RabbitMQ too (civicbus's own tests parametrise
    it over both). The crash test runs the adapter in a separate process; for a legacy
    stand-in that lives inside the adapter's process, override `slow_serving_config`.
    """

    crash_latency = 1.0  # how long each call takes in the process that is killed
    call_timeout = 30.0  # the caller's timeout: the restarted server must answer within it

    @pytest.fixture
    def contract_broker_url(self, tmp_path: Path) -> str:
        return f"embedded:///{tmp_path / 'broker.db'}"

    @pytest.fixture
    def contract_settings(self, contract_broker_url: str, tmp_path: Path) -> Iterator[Settings]:
        tag = uuid.uuid4().hex[:10]
        settings = Settings(
            data_dir=tmp_path / "civicbus-data",  # not a package name: the cwd of `python -m`
            broker_url=contract_broker_url,
            exchange=f"contract.{tag}.events",
            queue_prefix=f"contract.{tag}",
            journal={"flush_interval": 0.05},
        )
        yield settings
        _delete_topology(settings, self.instance_name)

    def slow_serving_config(
        self, config: dict[str, Any], legacy: LegacyControl, latency: float
    ) -> dict[str, Any]:
        """The config for the crash test's serving process, in which every call must take
        about `latency` seconds (less than the timeout) so one is in flight when it dies.

        The default makes the legacy system slow, which is right when it runs apart from the
        adapter (a server). A stand-in inside the adapter's process needs it in the config.
        """
        legacy.make_slow(latency)
        return config

    def test_sample_call_succeeds_through_the_bus(
        self, adapter: Adapter[Any], sample_call: SampleCall, contract_settings: Settings
    ) -> None:
        with _hosted(adapter, contract_settings) as bus:
            reply = bus.call(
                self._operation_name(sample_call),
                dict(sample_call.request),
                timeout=self.call_timeout,
            )
        sample_call.verify(reply.model_dump(mode="json"))

    def test_a_legacy_failure_reaches_the_caller_as_a_retryable_error(
        self,
        adapter: Adapter[Any],
        legacy: LegacyControl,
        sample_call: SampleCall,
        contract_settings: Settings,
    ) -> None:
        legacy.make_unreachable()
        with _hosted(adapter, contract_settings) as bus, pytest.raises(OperationFailed) as failed:
            bus.call(
                self._operation_name(sample_call),
                dict(sample_call.request),
                timeout=self.call_timeout,
            )
        assert failed.value.error.retryable

    def test_a_request_in_flight_when_its_server_is_killed_is_answered_after_restart(  # noqa: PLR0917 — pytest passes fixtures as arguments
        self,
        adapter: Adapter[Any],
        legacy: LegacyControl,
        sample_call: SampleCall,
        contract_config: dict[str, Any],
        contract_settings: Settings,
        tmp_path: Path,
    ) -> None:
        config = self.slow_serving_config(
            {**contract_config, "timeout": self.crash_latency * 5}, legacy, self.crash_latency
        )
        spec = {
            "settings": contract_settings.model_dump(mode="json"),
            "name": self.instance_name,
            "config": config,
        }
        correlation = str(uuid.uuid4())
        with Bus(contract_settings) as caller:
            _offer(caller, adapter)
            first = _serving_process(spec, tmp_path / "first.log")
            try:
                outcome = _in_background(
                    lambda: caller.call(
                        self._operation_name(sample_call),
                        dict(sample_call.request),
                        timeout=self.call_timeout,
                        correlationid=correlation,
                    )
                )
                _wait(
                    lambda: _deliveries(caller, correlation) > 0,
                    self.call_timeout,
                    f"the first server to take the request (log: {tmp_path / 'first.log'})",
                )
            finally:
                first.send_signal(signal.SIGKILL)
                first.wait(30)
            second = _serving_process(spec, tmp_path / "second.log")
            try:
                exception = outcome.exception(self.call_timeout + 10)
            finally:
                second.terminate()  # SIGTERM: it drains and flushes its journal
                second.wait(30)
            # The first server had the request in hand when it died; the second served it.
            assert _deliveries(caller, correlation) >= 2
        if exception is None:
            sample_call.verify(outcome.result().model_dump(mode="json"))
        else:
            # Never silence: a failure must at least tell the caller it may try again.
            assert isinstance(exception, OperationFailed), exception
            assert exception.error.retryable

    def _operation_name(self, sample: SampleCall) -> str:
        return f"{self.instance_name}.{sample.operation}"


@contextmanager
def _hosted(adapter: Adapter[Any], settings: Settings) -> Iterator[Bus]:
    """A bus on `settings` serving `adapter` in this process, stopped and closed after."""
    adapter.stop()  # the host starts it again: start after stop is part of the contract
    with Bus(settings) as bus:
        host = AdapterHost(bus, [adapter])
        host.start()
        try:
            bus.start()
            if not bus.wait_ready(30):
                raise AssertionError("the adapter's operation server was not ready in 30s")
            yield bus
        finally:
            host.stop()


def _offer(bus: Bus, adapter: Adapter[Any]) -> None:
    """Tell a caller's bus about the adapter's operations without serving them here, and
    declare their queue so requests wait there until a server comes."""
    with Connection(bus.settings.broker, connect_timeout=5) as connection:
        channel = connection.channel()
        bus.topology.operations(channel).declare()
        bus.topology.operation_queue(adapter.name)(channel).declare()
    for operation in adapter.operations():
        entry = OperationEntry(
            adapter=adapter.name, operation=operation.name, idempotent=operation.idempotent
        )
        bus.registry.register(operation.request, type=entry.request_type, version=1)
        bus.registry.register(operation.response, type=entry.response_type, version=1)
        bus.catalog.add(entry)


def _serving_process(spec: dict[str, Any], log: Path) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CIVICBUS_")}
    with log.open("ab") as sink:
        return subprocess.Popen(  # noqa: S603 — this interpreter, our module, our own spec
            [sys.executable, "-m", "adapters.testing._serve", json.dumps(spec)],
            cwd=log.parent,  # no civicbus.yaml of the developer's is picked up
            env={**env, "CIVICBUS_LOG_FORMAT": "json"},
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )


def _deliveries(bus: Bus, correlation: str) -> int:
    """How often a server took the request with this correlation id, as the journal says."""
    journal = bus.journal
    assert journal is not None, "the crash test reads the journal; keep journal.enabled"
    taken = 0
    for message in journal.search(correlation_id=correlation):
        record = journal.find(message.id)
        if record is not None:
            taken += sum(hop.hop == Hop.DELIVERED for hop in record.hops)
    return taken


def _in_background(call: Callable[[], Any]) -> Future[Any]:
    outcome: Future[Any] = Future()

    def run() -> None:
        try:
            outcome.set_result(call())
        except BaseException as exc:  # handed to the test thread, whatever it is
            outcome.set_exception(exc)

    threading.Thread(target=run, name="contract-caller", daemon=True).start()
    return outcome


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout}s waiting for {what}")
        time.sleep(0.02)


def _delete_topology(settings: Settings, adapter: str) -> None:
    if settings.uses_embedded_broker:
        return  # the broker file lives in tmp_path
    topology = Topology(settings)
    with Connection(settings.broker, connect_timeout=5) as connection:
        channel = connection.channel()
        topology.operation_queue(adapter)(channel).delete()
        topology.operations(channel).delete()
        topology.exchange(channel).delete()
