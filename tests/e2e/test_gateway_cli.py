"""The gateway as operators run it: `civicbus clients ...` manage who may do what, `civicbus
run` hosts an adapter, `civicbus gateway` (another process) serves it over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_cli import civicbus, finish
from tests.integration._waiting import wait_for

pytestmark = pytest.mark.timeout(120)

GET = "register.get-record"
GET_PATH = "/api/v1/services/register/get-record"
CONFIG = """
adapters:
  register:
    kind: example
    seed: {"1": "one"}
"""


def run_cli(cwd: Path, *args: str) -> tuple[int, str, str]:
    return finish(civicbus(cwd, *args))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_clients_add_grant_list_revoke(tmp_path: Path):
    code, key, _err = run_cli(tmp_path, "clients", "add", "portal")
    assert code == 0
    assert key.strip().startswith("cbk_")

    assert run_cli(tmp_path, "clients", "grant", "portal", "--operation", GET)[0] == 0
    listed = json.loads(run_cli(tmp_path, "clients", "list", "--json")[1])
    assert listed[0]["operations"] == [GET]
    assert key.strip() not in json.dumps(listed)

    assert run_cli(tmp_path, "clients", "revoke", "portal", "--operation", GET)[0] == 0
    listed = json.loads(run_cli(tmp_path, "clients", "list", "--json")[1])
    assert listed[0]["operations"] == []


@pytest.mark.parametrize(
    "args",
    [
        ["clients", "grant", "nobody", "--operation", "register.get"],
        ["clients", "grant", "portal"],
        ["clients", "grant", "portal", "--operation", "a.b", "--event", "c"],
        ["clients", "grant", "portal", "--privilege", "root"],
        ["clients", "revoke", "portal", "--operation", "never.granted"],
        ["clients", "add", "portal"],
    ],
    ids=[
        "unknown-client",
        "nothing-named",
        "two-named",
        "unknown-privilege",
        "not-granted",
        "duplicate",
    ],
)
def test_a_bad_clients_command_is_one_line_and_changes_nothing(tmp_path: Path, args: list[str]):
    run_cli(tmp_path, "clients", "add", "portal")
    before = run_cli(tmp_path, "clients", "list", "--json")[1]

    code, _out, err = run_cli(tmp_path, *args)

    assert (code, len(err.strip().splitlines())) == (2, 1)
    assert err.startswith("error: ")
    assert run_cli(tmp_path, "clients", "list", "--json")[1] == before


def test_a_worker_and_a_separate_gateway_serve_a_call(tmp_path: Path):
    (tmp_path / "civicbus.yaml").write_text(CONFIG)
    key = run_cli(tmp_path, "clients", "add", "portal")[1].strip()
    run_cli(tmp_path, "clients", "grant", "portal", "--operation", GET)
    port = free_port()
    worker = civicbus(tmp_path, "run")
    gateway = civicbus(tmp_path, "gateway", "--port", str(port))
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": key}, timeout=30
        ) as http:

            def answered() -> bool:
                try:
                    return http.post(GET_PATH, json={"key": "1"}).is_success
                except httpx.TransportError:
                    return False

            wait_for(answered, timeout=60, what="the gateway to serve register.get-record")
            reply = http.post(GET_PATH, json={"key": "1"}).json()
    finally:
        gateway.send_signal(signal.SIGTERM)
        worker.send_signal(signal.SIGTERM)
        gateway_code, _out, gateway_err = finish(gateway)
        worker_code, _out, _err = finish(worker)

    assert reply == {"key": "1", "value": "one"}
    assert (gateway_code, worker_code) == (0, 0)
    assert "civicbus gateway stopped" in gateway_err


def test_run_serves_the_gateway_when_enabled(tmp_path: Path):
    (tmp_path / "civicbus.yaml").write_text(CONFIG)
    port = free_port()
    env = {**os.environ, "CIVICBUS_GATEWAY__ENABLED": "true", "CIVICBUS_GATEWAY__PORT": str(port)}
    run = civicbus(tmp_path, "run", env=env)
    try:

        def documented() -> bool:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5)
            except httpx.TransportError:
                return False
            return GET_PATH in response.json()["paths"]

        wait_for(documented, timeout=60, what="the gateway inside civicbus run")
    finally:
        run.send_signal(signal.SIGTERM)
        code, _out, err = finish(run)

    assert code == 0, err
    assert "civicbus stopped cleanly" in err


def test_gateway_on_a_port_in_use_says_what_to_do(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, _out, err = run_cli(tmp_path, "gateway", "--port", str(taken.getsockname()[1]))

    assert code == 1
    assert "--port" in err
    assert "Traceback" not in err


def test_clients_add_prints_only_the_key_on_stdout(tmp_path: Path):
    code, out, err = run_cli(tmp_path, "clients", "add", "portal")

    assert (code, len(out.splitlines())) == (0, 1)
    assert "cannot be shown again" in err
