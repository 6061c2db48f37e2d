"""The SOAP adapter called directly (zeep) and through the bus (RabbitMQ request/reply),
against the same spyne population register running in its own process, in one run.

Latency: sequential calls, p50/p99. Throughput: 8 concurrent callers for a fixed count.
"""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from kombu import Connection

from adapters import AdapterHost, CallContext
from adapters.soap import SoapAdapter, SoapConfig
from bus import Bus, OperationTimeout, Settings

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
OPERATION = "population-register.get-person"
REQUEST = {"person_id": "010101-0001"}
CALLERS = 8
ROUNDS = 5
JOURNAL = True  # the journal stays on: it is part of what the bus does


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _start_register(latency: float) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = ["-m", "examples.legacy.population_register", "--port", str(port)]
    process = subprocess.Popen(
        [sys.executable, *command, "--latency", str(latency)],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, f"http://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the population register stand-in did not start")


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _latencies(call: Callable[[], object], n: int) -> list[float]:
    for _ in range(20):  # warm-up: connections, caches
        call()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _throughput(call: Callable[[], object], n: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(CALLERS) as pool:
        list(pool.map(lambda _i: call(), range(n)))
    return n / (time.perf_counter() - started)


def _wait_until_served(call: Callable[[], object]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            call()
            return
        except OperationTimeout:
            if time.monotonic() > deadline:
                raise


def run(n: int = 600) -> dict[str, float]:
    """The target figures against the stand-in at full speed (every process on this machine
    competes for its cores), and the throughput ratio again against a legacy service that
    takes 20 ms a call, as real ones do, where the callers wait on the service, not the CPU."""
    figures = _measure(n, legacy_latency=0.0)
    slow = _measure(n // 3, legacy_latency=0.02)
    figures["soap_20ms_legacy_via_bus_vs_direct_rps"] = slow["soap_via_bus_vs_direct_rps"]
    figures["soap_20ms_legacy_bus_overhead_p50_ms"] = slow["soap_bus_overhead_p50_ms"]
    return figures


def _measure(n: int, *, legacy_latency: float) -> dict[str, float]:
    register, url = _start_register(legacy_latency)
    tag = uuid.uuid4().hex[:8]
    try:
        config = SoapConfig(wsdl=f"{url}?wsdl", concurrency=CALLERS, timeout=10)
        direct = SoapAdapter("population-register", config)
        direct.start()
        operation = next(op for op in direct.operations() if op.name == "get-person")
        request = operation.request(**REQUEST)
        context = CallContext(request_id="bench", correlation_id="bench")

        def call_direct() -> object:
            return operation.invoke(request, context)

        with tempfile.TemporaryDirectory() as tmp:
            # The adapter is served by a worker process, as deployed; this process only calls.
            worker_config = Path(tmp) / "civicbus.yaml"
            worker_config.write_text(
                yaml.safe_dump(
                    {
                        "data_dir": str(Path(tmp) / "worker"),
                        "broker_url": RABBITMQ_URL,
                        "exchange": f"bench.{tag}",
                        "queue_prefix": f"bench.{tag}",
                        "log_level": "warning",
                        "journal": {"enabled": JOURNAL},
                        "adapters": {
                            "population-register": {
                                "kind": "soap",
                                "wsdl": f"{url}?wsdl",
                                "concurrency": CALLERS,
                                "timeout": 10,
                            }
                        },
                    }
                )
            )
            worker = subprocess.Popen(
                [sys.executable, "-m", "bus.cli", "--config", str(worker_config), "run"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            settings = Settings(
                data_dir=Path(tmp) / "caller",
                broker_url=RABBITMQ_URL,
                exchange=f"bench.{tag}",
                queue_prefix=f"bench.{tag}",
            )
            bus = Bus(settings)
            host = AdapterHost(bus, [SoapAdapter("population-register", config)])
            host.start(serve=False)  # learn the operation's schemas; the worker serves it
            try:

                def call_bus() -> object:
                    return bus.call(OPERATION, REQUEST, timeout=30)

                _wait_until_served(call_bus)
                # Alternating rounds, medians: the two paths see the same machine noise.
                direct_latency, bus_latency = [], []
                direct_rounds, bus_rounds = [], []
                for _ in range(ROUNDS):
                    direct_latency += _latencies(call_direct, n // ROUNDS)
                    bus_latency += _latencies(call_bus, n // ROUNDS)
                    direct_rounds.append(_throughput(call_direct, n))
                    bus_rounds.append(_throughput(call_bus, n))
                direct_rps = statistics.median(direct_rounds)
                bus_rps = statistics.median(bus_rounds)
            finally:
                worker.terminate()
                worker.wait(30)
                host.stop()
                bus.close()
                direct.stop()
            with Connection(RABBITMQ_URL) as connection:
                channel = connection.channel()
                channel.queue_delete(f"bench.{tag}.adapter.population-register")
                channel.exchange_delete(bus.topology.operations.name)
    finally:
        register.terminate()
        register.wait(10)
    direct_p50 = statistics.median(direct_latency)
    bus_p50 = statistics.median(bus_latency)
    return {
        "soap_direct_p50_ms": round(direct_p50, 3),
        "soap_via_bus_p50_ms": round(bus_p50, 3),
        "soap_via_bus_p99_ms": round(_percentile(bus_latency, 0.99), 3),
        "soap_bus_overhead_p50_ms": round(bus_p50 - direct_p50, 3),
        "soap_direct_rps": round(direct_rps, 1),
        "soap_via_bus_rps": round(bus_rps, 1),
        "soap_via_bus_vs_direct_rps": round(bus_rps / direct_rps, 2),
    }


if __name__ == "__main__":
    from bus import configure_logging

    configure_logging(Settings(log_level="warning"))
    print(json.dumps(run(), indent=2))
