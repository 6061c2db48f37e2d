"""`make run`'s demo as a newcomer meets it: `civicbus run --demo` in an empty folder, every flow
of the civic demo seen at its legacy end, the gateway and the console answering with what it
prints, and Ctrl-C stopping everything cleanly."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.integration._waiting import wait_for

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]

CIVICBUS = [sys.executable, "-c", "from bus.cli import main; main()"]
CHECKOUT = Path(__file__).resolve().parents[2]
SEEDED_CHANGES = 6  # BEN_CLIENT's change sequence after seeding, one per resident
RECORD_WIDTH = 11 + 40 + 10 + 30 + 2
CASE_EVENTS = "SELECT COUNT(*) FROM journal_messages WHERE type = 'benefits.case.changed'"


@dataclass
class Demo:
    process: subprocess.Popen[str]
    folder: Path
    lines: list[str] = field(default_factory=list)

    def said(self, pattern: str) -> str | None:
        for line in list(self.lines):
            found = re.search(pattern, line)
            if found:
                return found.group(1)
        return None

    def told(self, pattern: str, what: str) -> str:
        wait_for(lambda: self.said(pattern) is not None, timeout=90, what=what)
        found = self.said(pattern)
        assert found is not None
        return found

    def scalar(self, database: str, sql: str) -> int:
        rows = self.query(database, sql)
        return int(str(rows[0][0] or 0)) if rows else 0

    def query(self, database: str, sql: str) -> list[tuple[object, ...]]:
        path = self.folder / ".civicbus" / database
        if not path.exists():
            return []
        with sqlite3.connect(path, timeout=10) as connection:
            try:
                return connection.execute(sql).fetchall()
            except sqlite3.OperationalError:
                return []  # not created yet


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    env = {
        **os.environ,
        "CIVICBUS_LOG_FORMAT": "json",
        "CIVICBUS_GATEWAY__PORT": "0",
        "CIVICBUS_CONSOLE__PORT": "0",
        "CIVICBUS_OPS__PORT": "0",
    }
    env.pop("CIVICBUS_CONFIG", None)
    process = subprocess.Popen(
        [*CIVICBUS, "run", "--demo", "--demo-interval", "0.3"],
        cwd=tmp_path,
        env=env,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    running = Demo(process, tmp_path)

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            running.lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    yield running
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)
    reader.join(timeout=10)


def test_the_civic_demo_runs_every_flow_and_stops_cleanly_on_ctrl_c(demo: Demo):
    console = demo.told(r"^  console\s+(http://\S+)", "the console's address")
    password = demo.told(r"sign in as demo, password (\S+)", "the console password")
    gateway = demo.told(r"^  gateway\s+(http://[\d.]+:\d+)$", "the gateway's address")
    docs = demo.told(r"^  api docs\s+(http://\S+)", "the gateway's docs")
    key = demo.told(r"^  api key\s+(\S+)", "the portal's API key")

    # The portal's changes reach the population register over SOAP, then the benefits
    # database (its trigger bumps the change sequence past the seeded rows)...
    wait_for(
        lambda: (
            demo.scalar("demo/benefits.db", "SELECT MAX(CHG_SEQ) FROM BEN_CLIENT") > SEEDED_CHANGES
        ),
        timeout=90,
        what="an address change in the benefits database",
    )
    # ...and the tax office's next batch file: ten fixed-width records to a file.
    outbox = demo.folder / ".civicbus" / "demo" / "tax-office" / "out"
    wait_for(lambda: any(outbox.glob("ADDRESSES-*")), timeout=90, what="a batch file")
    batch = next(outbox.glob("ADDRESSES-*")).read_text(encoding="latin-1").splitlines()
    assert len(batch) == 10
    assert {len(line) for line in batch} == {RECORD_WIDTH}
    # The tax office's nightly income file reaches the benefits database.
    wait_for(
        lambda: demo.scalar("demo/benefits.db", "SELECT COUNT(*) FROM TAX_INCOME") == 4,
        timeout=90,
        what="the nightly incomes recorded",
    )
    # A change for someone the register does not know ends as a dead letter with its reason.
    wait_for(
        lambda: demo.query(
            "journal.db", "SELECT error FROM journal_hops WHERE hop = 'dead_lettered'"
        ),
        timeout=90,
        what="a refused change dead-lettered",
    )
    refused = demo.query("journal.db", "SELECT error FROM journal_hops WHERE hop = 'dead_lettered'")
    assert "PersonNotFound" in str(refused[0][0])
    # The benefits office's own changes (the clerk's cases) are captured as events.
    wait_for(
        lambda: demo.scalar(
            "journal.db",
            "SELECT COUNT(*) FROM journal_messages WHERE type = 'benefits.case.changed'",
        ),
        timeout=60,
        what="a benefits case change as an event",
    )

    # What the banner prints works: the key lists the portal's services, the password signs in.
    with httpx.Client(base_url=gateway, headers={"X-API-Key": key}, timeout=20) as http:
        listed = http.get("/api/v1/services")
        assert listed.status_code == 200, listed.text
        services = {s["name"] for s in listed.json()["services"]}
        person = http.post(
            "/api/v1/services/population-register/get-person",
            json={"person_id": "38001085718"},
        )
    assert {"portal.submit-address-change", "population-register.get-person"} <= services
    assert person.status_code == 200, person.text
    assert httpx.get(docs, timeout=20).status_code == 200
    with httpx.Client(base_url=console.rstrip("/"), timeout=20) as http:
        form = http.get("/login")
        token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        signed = http.post(
            "/login",
            data={"csrf": token, "username": "demo", "password": password},
            follow_redirects=False,
        )
        flows = http.get("/")
    assert (signed.headers.get("location"), flows.status_code) == ("/", 200)
    assert "route.register-address-change" in flows.text

    # A second terminal's commands get the demo's settings from the file it names.
    config = demo.told(r"export CIVICBUS_CONFIG=(\S+)", "the second terminal's settings")
    listed = subprocess.run(
        [*CIVICBUS, "--config", config, "routes", "list", "--json"],
        cwd=demo.folder,
        # As from the checkout `make run` runs in, where the demo's schemas module imports.
        env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert "nightly-incomes" in listed.stdout

    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(timeout=60) == 0
    wait_for(lambda: demo.said(r"(civicbus stopped cleanly)") is not None, what="the goodbye")
    tracebacks = [line for line in demo.lines if "Traceback" in line]
    assert not tracebacks, tracebacks[0][:3000]
