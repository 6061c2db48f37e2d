"""A file-drop source killed with SIGKILL in the middle of a file, then restarted, resumes
after the last confirmed batch: every record reaches the subscriber exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.filedrop import CsvFormat, FileDropConfig, Inbox, InboxSource, Readiness
from bus import Bus, Delivery, Settings
from tests.integration._waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[3]
ROWS = 10_000
EVENT = "test.payment.recorded"


def start_source(settings: Settings, config: FileDropConfig) -> subprocess.Popen[bytes]:
    values = settings.model_dump(mode="json", exclude={"journal": {"url"}})
    values["data_dir"] = str(Path(settings.data_dir) / "source-process")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.filedrop.run_source",
            json.dumps(values),
            config.model_dump_json(),
        ],
        cwd=REPO,
        env={**os.environ, "CIVICBUS_LOG_FORMAT": "json"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def confirmed(inbox: Inbox) -> int:
    if not inbox.state_file.exists():
        return 0
    try:
        with sqlite3.connect(inbox.state_file) as db:
            row = db.execute("select max(last_record) from files").fetchone()
    except sqlite3.OperationalError:
        return 0  # the source process is still creating its table
    return int(row[0] or 0)


def test_sigkill_mid_file_loses_nothing_and_delivers_each_record_once(
    bus_factory: Callable[..., Bus], tmp_path: Path
):
    inbox = Inbox(
        name="payments",
        path=tmp_path / "in",
        format=CsvFormat(),
        event_type=EVENT,
        readiness=Readiness(mode="rename"),
        poll_interval=0.2,
        batch_size=50,
    )
    config = FileDropConfig(inboxes=[inbox])
    bus = bus_factory()
    # The subscriber reads the records' schema, as a consumer in another process would.
    bus.registry.register(InboxSource(inbox).model, type=EVENT, version=1)
    seen: list[Delivery] = []
    lock = threading.Lock()

    def keep(delivery: Delivery) -> None:
        with lock:
            seen.append(delivery)

    bus.subscribe("payments", [EVENT], keep)
    bus.start()
    assert bus.wait_ready(30)
    inbox.path.mkdir(parents=True)
    staged = tmp_path / "big.csv.part"
    staged.write_text("id,amount\n" + "".join(f"{i},{i * 10}\n" for i in range(1, ROWS + 1)))
    staged.rename(inbox.path / "big.csv")

    first = start_source(bus.settings, config)
    try:
        wait_for(lambda: confirmed(inbox) >= 500, timeout=120, what="500 confirmed records")
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        first.kill()
    killed_at = confirmed(inbox)
    second = start_source(bus.settings, config)
    try:
        wait_for(
            lambda: any(inbox.archive_dir.glob("*/big.csv")), timeout=240, what="the file archived"
        )
        wait_for(lambda: len(seen) >= ROWS, timeout=120, what="every record")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)

    numbers = sorted(d.envelope.model_extra["recordnumber"] for d in seen)
    assert (killed_at < ROWS, numbers) == (True, list(range(1, ROWS + 1)))
