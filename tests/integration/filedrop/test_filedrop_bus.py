"""Files dropped in an inbox reach subscribers through a real bus, once each; bad files end
in error/ with a dead letter; files written through the bus stay inside the outbox."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters import AdapterHost
from adapters.filedrop import (
    CsvFormat,
    FileClaim,
    FileDropAdapter,
    FileDropConfig,
    Inbox,
    Outbox,
    Readiness,
    open_claim,
)
from bus import Bus, Delivery, OperationFailed
from bus._wire import HEADER_ERROR, HEADER_REASON
from tests.integration._waiting import wait_for
from tests.integration.conftest import drain_queue

pytestmark = pytest.mark.timeout(120)

EVENT = "test.payment.recorded"


def inbox_config(folder: Path, **overrides: Any) -> Inbox:
    settings: dict[str, Any] = {
        "name": "payments",
        "path": folder / "in",
        "format": CsvFormat(),
        "event_type": EVENT,
        "readiness": Readiness(stable_seconds=0.6, min_age=0.3),
        "poll_interval": 0.2,
        "batch_size": 50,
        **overrides,
    }
    return Inbox(**settings)


@dataclass
class Running:
    bus: Bus
    host: AdapterHost
    inbox: Inbox
    seen: list[Delivery]

    def dead_letters(self) -> list[Any]:
        queue = f"{self.bus.settings.queue_prefix}.source.drop.{self.inbox.name}.dlq"
        return drain_queue(self.bus.settings.broker, queue)


@pytest.fixture
def running(bus_factory: Callable[..., Bus], tmp_path: Path) -> Iterator[Callable[..., Running]]:
    hosts: list[AdapterHost] = []

    def start(**overrides: Any) -> Running:
        inbox = inbox_config(tmp_path, **overrides)
        config = FileDropConfig(
            inboxes=[inbox], outbox=Outbox(path=tmp_path / "out", columns=["id", "name"])
        )
        bus = bus_factory()
        seen: list[Delivery] = []
        lock = threading.Lock()

        def keep(delivery: Delivery) -> None:
            with lock:
                seen.append(delivery)

        bus.subscribe("payments", [EVENT], keep)
        host = AdapterHost(bus, [FileDropAdapter("drop", config)])
        host.start()
        bus.start()
        assert bus.wait_ready(30)
        hosts.append(host)
        return Running(bus, host, inbox, seen)

    yield start
    for host in hosts:
        host.stop()


def archived(inbox: Inbox, name: str) -> bool:
    return any(inbox.archive_dir.glob(f"*/{name}"))


def test_a_dropped_file_flows_record_by_record_with_its_correlation_id(
    running: Callable[..., Running],
):
    run = running()
    (run.inbox.path / "p.csv").write_text("id,amount\n1,10\n2,20\n3,30\n")
    wait_for(lambda: len(run.seen) >= 3 and archived(run.inbox, "p.csv"), what="three records")
    assert (
        sorted(d.envelope.model_extra["recordnumber"] for d in run.seen),
        len({d.envelope.correlationid for d in run.seen}),
    ) == ([1, 2, 3], 1)


def test_claim_check_delivers_one_message_from_which_the_file_is_fetched(
    running: Callable[..., Running],
):
    run = running(deliver="file")
    text = "id,amount\n" + "".join(f"{n},{n * 10}\n" for n in range(1, 501))
    (run.inbox.path / "big.csv").write_text(text)
    wait_for(lambda: bool(run.seen) and archived(run.inbox, "big.csv"), what="the claim")
    [delivery] = run.seen
    claim = FileClaim.model_validate(delivery.envelope.data)
    with open_claim(claim) as stored:
        assert (claim.records, stored.read().decode()) == (500, text)


def test_a_half_written_file_is_not_read_until_it_is_complete(running: Callable[..., Running]):
    run = running(readiness=Readiness(stable_seconds=1.5, min_age=1.0))
    path = run.inbox.path / "slow.csv"
    with path.open("w") as handle:
        handle.write("id,amount\n1,10\n2,2")
        handle.flush()
        for _ in range(6):  # keeps growing for ~1.2 s: never stable long enough
            threading.Event().wait(0.2)
            handle.write("0")
            handle.flush()
        seen_while_writing = len(run.seen)
        handle.write("\n3,30\n")
    wait_for(
        lambda: archived(run.inbox, "slow.csv") and len(run.seen) >= 3, what="the completed file"
    )
    assert (seen_while_writing, sorted(d.payload.fields["amount"] for d in run.seen)) == (
        0,
        ["10", "2000000", "30"],
    )


def test_a_file_dropped_twice_is_processed_once(running: Callable[..., Running]):
    run = running()
    (run.inbox.path / "a.csv").write_text("id\n1\n2\n")
    wait_for(lambda: archived(run.inbox, "a.csv") and len(run.seen) >= 2, what="the first drop")
    (run.inbox.path / "b.csv").write_text("id\n1\n2\n")
    wait_for(
        lambda: any((run.inbox.archive_dir / "duplicates").glob("*/b.csv")), what="the second drop"
    )
    assert len(run.seen) == 2


@pytest.mark.parametrize(
    ("name", "content", "fmt", "expected"),
    [
        (
            "latin.csv",
            "id,name\n1,Muñoz\n".encode("cp1252"),
            {"encoding": "utf-8"},
            "not valid utf-8",
        ),
        ("garbage.csv", bytes(range(256)) * 8, {}, "binary"),
    ],
    ids=["wrong-encoding", "binary-garbage"],
)
def test_an_unreadable_file_ends_in_error_with_a_report_and_a_dead_letter(
    running: Callable[..., Running], name: str, content: bytes, fmt: dict[str, Any], expected: str
):
    run = running(format=CsvFormat(**fmt))
    (run.inbox.path / name).write_bytes(content)
    report = run.inbox.error_dir / f"{name}.error.json"
    wait_for(report.exists, what="the error report")
    letters: list[Any] = []
    wait_for(
        lambda: bool(letters.extend(run.dead_letters())) or bool(letters), what="the dead letter"
    )
    assert (
        expected in json.loads(report.read_text())["error"],
        letters[0].headers[HEADER_REASON],
        expected in json.loads(letters[0].headers[HEADER_ERROR])["error"],
    ) == (True, "unreadable_file", True)


def test_a_billion_laughs_xml_is_refused_and_ends_in_error(running: Callable[..., Running]):
    run = running(format={"type": "xml", "record": "row"})
    (run.inbox.path / "lol.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        "<rows><row>&c;</row></rows>"
    )
    report = run.inbox.error_dir / "lol.xml.error.json"
    wait_for(report.exists, what="the error report")
    assert "DOCTYPE" in json.loads(report.read_text())["error"]


def test_a_bad_record_is_dead_lettered_with_its_line_while_the_rest_flows(
    running: Callable[..., Running],
):
    run = running()
    (run.inbox.path / "p.csv").write_text("id,amount\n1,10\n2\n3,30\n")
    wait_for(lambda: len(run.seen) >= 2, what="the two good records")
    letters: list[Any] = []
    wait_for(
        lambda: bool(letters.extend(run.dead_letters())) or bool(letters), what="the dead letter"
    )
    detail = json.loads(letters[0].headers[HEADER_ERROR])
    assert (letters[0].headers[HEADER_REASON], detail["line"], detail["recordnumber"]) == (
        "ragged_row",
        3,
        2,
    )


def test_a_path_traversal_name_is_refused_through_the_bus(
    running: Callable[..., Running], tmp_path: Path
):
    run = running()
    with pytest.raises(OperationFailed, match="refused") as refused:
        run.bus.call(
            "drop.write-records", {"records": [{"id": 1}], "name": "../escape.csv"}, timeout=20
        )
    assert (tmp_path / "escape.csv").exists() is False, refused.value


def test_records_sent_through_the_bus_are_written_as_a_file(
    running: Callable[..., Running], tmp_path: Path
):
    run = running()
    reply = run.bus.call(
        "drop.write-records", {"records": [{"id": 1, "name": "Ann"}], "name": "a.csv"}, timeout=20
    )
    assert (tmp_path / "out" / "a.csv").read_bytes() == b"id,name\r\n1,Ann\r\n", reply
