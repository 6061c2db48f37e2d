"""The gateway end to end: HTTP -> `civicbus gateway` -> bus (RabbitMQ) -> `civicbus run`
worker -> SOAP stand-in, each in its own process as deployed, against a direct zeep call to
the same stand-in, and a plain `Bus.call` to the same worker, in the same run.

Latency: sequential calls from one keep-alive HTTP client, p50/p99, alternating rounds with
the direct calls so both see the same machine noise. Throughput: 16 concurrent clients.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import yaml
from kombu import Connection

from adapters import CallContext
from adapters.soap import SoapAdapter, SoapConfig
from bench.bench_soap import RABBITMQ_URL, _free_port, _latencies, _percentile, _start_register
from bus import Bus, Settings
from bus._gateway import ClientStore
from bus.migrations import migrate

PATH = "/api/v1/services/population-register/get-person"
REQUEST = {"person_id": "010101-0001"}
CLIENTS = 16
ROUNDS = 5


def _config(tmp: Path, name: str, tag: str, state_url: str, extra: dict[str, Any]) -> Path:
    path = tmp / f"{name}.yaml"
    settings = {
        "data_dir": str(tmp / name),
        "broker_url": RABBITMQ_URL,
        "state_url": state_url,
        "exchange": f"bench.{tag}",
        "queue_prefix": f"bench.{tag}",
        "log_level": "warning",
        **extra,
    }
    path.write_text(yaml.safe_dump(settings))
    return path


def _civicbus(config: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bus.cli", "--config", str(config), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_until_served(call: Callable[[], httpx.Response]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if call().status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the gateway did not serve get-person within 60 s")
        time.sleep(0.2)


def _throughput(call: Callable[[], object], n: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(lambda _i: call(), range(n)))
    return n / (time.perf_counter() - started)


def run(n: int = 600) -> dict[str, float]:
    register, url = _start_register(0.0)
    tag = uuid.uuid4().hex[:8]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        config = SoapConfig(wsdl=f"{url}?wsdl", concurrency=CLIENTS, timeout=10)
        direct = SoapAdapter("population-register", config)
        direct.start()
        operation = next(op for op in direct.operations() if op.name == "get-person")
        request = operation.request(**REQUEST)
        context = CallContext(request_id="bench", correlation_id="bench")

        def call_direct() -> object:
            return operation.invoke(request, context)

        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            state_url = f"sqlite:///{tmp / 'state.db'}"
            migrate(state_url)
            clients = ClientStore(state_url)
            key = clients.add("bench")
            clients.grant("bench", "operation", "population-register.get-person")
            clients.close()
            adapter = {"kind": "soap", "wsdl": f"{url}?wsdl", "concurrency": CLIENTS}
            worker = _config(
                tmp, "worker", tag, state_url, {"adapters": {"population-register": adapter}}
            )
            port = _free_port()
            limits = {"per_minute": 10_000_000, "burst": 100_000}
            gateway = _config(
                tmp, "gateway", tag, state_url, {"gateway": {"port": port, "rate_limit": limits}}
            )
            processes.append(_civicbus(worker, "run"))
            processes.append(_civicbus(gateway, "gateway"))
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"X-API-Key": key, "X-Purpose": "benchmark"},
                timeout=30,
                limits=httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS),
            ) as http:

                def call_gateway() -> httpx.Response:
                    return http.post(PATH, json=REQUEST)

                _wait_until_served(call_gateway)
                # The bus alone from here, as the gateway calls it: what HTTP adds is the rest.
                bus = Bus(
                    Settings(
                        data_dir=tmp / "caller",
                        broker_url=RABBITMQ_URL,
                        state_url=state_url,
                        exchange=f"bench.{tag}",
                        queue_prefix=f"bench.{tag}",
                    )
                )

                def call_bus() -> object:
                    return bus.call("population-register.get-person", REQUEST, timeout=30)

                direct_latency: list[float] = []
                bus_latency: list[float] = []
                gateway_latency: list[float] = []
                gateway_rounds = []
                try:
                    for _ in range(ROUNDS):
                        direct_latency += _latencies(call_direct, n // ROUNDS)
                        bus_latency += _latencies(call_bus, n // ROUNDS)
                        gateway_latency += _latencies(call_gateway, n // ROUNDS)
                        gateway_rounds.append(_throughput(call_gateway, n))
                finally:
                    bus.close()
                statuses = {call_gateway().status_code}
            if statuses != {200}:
                raise RuntimeError(f"the gateway answered {statuses} during the benchmark")
            direct.stop()
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)
        register.terminate()
        register.wait(10)
        with Connection(RABBITMQ_URL) as connection:
            channel = connection.channel()
            channel.queue_delete(f"bench.{tag}.adapter.population-register")
            channel.exchange_delete(f"bench.{tag}.operations")
    direct_p50 = statistics.median(direct_latency)
    gateway_p50 = statistics.median(gateway_latency)
    return {
        "gateway_direct_zeep_p50_ms": round(direct_p50, 3),
        "gateway_bus_call_p50_ms": round(statistics.median(bus_latency), 3),
        "gateway_p50_ms": round(gateway_p50, 3),
        "gateway_p99_ms": round(_percentile(gateway_latency, 0.99), 3),
        "gateway_overhead_p50_ms": round(gateway_p50 - direct_p50, 3),
        "gateway_rps": round(statistics.median(gateway_rounds), 1),
    }


if __name__ == "__main__":
    from bus import Settings, configure_logging

    configure_logging(Settings(log_level="warning"))
    print(json.dumps(run(), indent=2))
