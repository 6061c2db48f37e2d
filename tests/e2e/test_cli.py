"""The `civicbus` command as a person uses it, on the embedded broker in an empty folder."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration._waiting import wait_for

pytestmark = pytest.mark.timeout(120)

CIVICBUS = [sys.executable, "-c", "from bus.cli import main; main()"]
CHANGE = {
    "person_id": "38001085718",
    "address": {"street": "Rüütli 1", "postal_code": "51007", "city": "Tartu", "country": "EE"},
    "effective_date": "2026-12-01",
}


def civicbus(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {**(env or os.environ), "CIVICBUS_LOG_FORMAT": "json"}
    env.pop("CIVICBUS_CONFIG", None)
    return subprocess.Popen(
        [*CIVICBUS, *args],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def test_publish_refuses_an_invalid_payload_naming_each_field(tmp_path: Path):
    bad = {"person_id": "38001085718", "address": {"city": "Tartu"}}
    code, out, err = finish(
        civicbus(tmp_path, "publish", "civic.person.address-changed", "--data", json.dumps(bad))
    )
    assert (code, out) == (1, "")
    assert "data.address.street" in err
    assert "data.effective_date" in err


def test_publish_refuses_an_unknown_type_with_a_suggestion(tmp_path: Path):
    code, _out, err = finish(
        civicbus(tmp_path, "publish", "civic.person.adress-changed", "--data", json.dumps(CHANGE))
    )
    assert code == 1
    assert "civic.person.address-changed" in err


def test_tail_shows_a_published_event_with_personal_data_masked(tmp_path: Path):
    tail = civicbus(tmp_path, "tail", "civic.person.#", "--json", "--limit", "1")
    # tail's queue must exist before the event is published; its broker file appears first.
    wait_for((tmp_path / ".civicbus" / "broker.db").exists, what="tail to start")
    published_ids: list[str] = []

    def published() -> bool:
        # Until tail has bound its queue an event reaches nobody; publish until one shows.
        code, out, err = finish(
            civicbus(
                tmp_path,
                "publish",
                "civic.person.address-changed",
                "--subject",
                "38001085718",
                "--data",
                json.dumps(CHANGE),
            )
        )
        assert code == 0, err
        published_ids.append(out.strip())
        return tail.poll() is not None

    wait_for(published, what="tail to print a published event")
    code, out, _err = finish(tail)
    shown = json.loads(out.splitlines()[0])
    assert code == 0
    assert shown["id"] in published_ids
    assert (shown["subject"], shown["data"]["person_id"], shown["data"]["address"]["city"]) == (
        "***",
        "***",
        "Tartu",
    )
    assert "38001085718" not in out


def test_run_with_an_unreachable_broker_says_what_to_do(tmp_path: Path):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = civicbus(
        tmp_path,
        "run",
        "--demo",
        env={**os.environ, "CIVICBUS_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{port}//"},
    )
    code, _out, err = finish(run)
    assert code == 1
    assert "civicbus doctor" in err
    assert "Traceback" not in err
