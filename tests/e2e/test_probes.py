"""The probes of `civicbus run` as an orchestrator sees them: /healthz alive, /readyz ready
with each check, /metrics in the Prometheus format, and on SIGTERM a drain that answers 503
while the process goes on, then a clean stop."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.test_cli import civicbus, finish
from tests.e2e.test_gateway_cli import free_port
from tests.integration._waiting import wait_for

pytestmark = pytest.mark.timeout(120)


def answers(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=5)
    except httpx.TransportError:
        return None


def test_probes_answer_and_sigterm_drains_before_stopping(tmp_path: Path):
    port = free_port()
    (tmp_path / "civicbus.yaml").write_text(
        f"ops: {{port: {port}, drain_seconds: 4}}\n"
        "adapters:\n  register:\n    kind: example\n    seed: {'1': one}\n"
    )
    base = f"http://127.0.0.1:{port}"
    process = civicbus(
        tmp_path, "--config", "civicbus.yaml", "run", "--demo", "--demo-interval", "0.2"
    )
    try:
        wait_for(
            lambda: (r := answers(f"{base}/readyz")) is not None and r.status_code == 200,
            what="/readyz 200",
        )
        ready = httpx.get(f"{base}/readyz").json()
        alive = httpx.get(f"{base}/healthz")
        wait_for(
            lambda: "civicbus_messages_consumed_total{" in httpx.get(f"{base}/metrics").text,
            what="demo messages counted",
        )
        families = {
            f.name for f in text_string_to_metric_families(httpx.get(f"{base}/metrics").text)
        }
        process.send_signal(signal.SIGTERM)
        wait_for(
            lambda: (r := answers(f"{base}/readyz")) is not None and r.status_code == 503,
            what="/readyz 503 while draining",
        )
        draining = httpx.get(f"{base}/readyz").json()
        still_running = process.poll() is None
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    code, _out, err = finish(process)
    assert (alive.status_code, ready["status"], sorted(ready["checks"])) == (
        200,
        "ready",
        ["adapters", "broker", "journal", "state"],
    )
    assert {
        "civicbus_messages_consumed",
        "civicbus_messages_published",
        "civicbus_handler_seconds",
        "civicbus_journal_lag",
        "civicbus_circuit_state",
    } <= families
    assert (draining["status"], still_running, code) == ("draining", True, 0), err[-2000:]
