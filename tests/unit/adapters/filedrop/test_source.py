"""An inbox file becomes one event per record, keyed by content hash and record number; bad
records are dead-lettered with their line while the rest flows; files end in archive/ or
error/; the same bytes dropped again are skipped; a restart resumes after the last batch the
broker confirmed."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from adapters import SourceEvent
from adapters.filedrop import (
    ClaimMismatch,
    CsvFormat,
    FileClaim,
    FileProgress,
    Inbox,
    InboxSource,
    XmlFormat,
    file_hash,
    open_claim,
)


class RecordingEmitter:
    """Stands in for the broker: keeps what was emitted; can fail after N batches, as a
    process killed mid-file would stop."""

    def __init__(self, fail_after_batches: int | None = None) -> None:
        self.events: list[SourceEvent] = []
        self.rejected: list[tuple[bytes, str, dict[str, Any]]] = []
        self._left = fail_after_batches

    def emit(self, events: Sequence[SourceEvent]) -> None:
        if self._left is not None:
            if self._left == 0:
                raise ConnectionError("broker gone")
            self._left -= 1
        self.events.extend(events)

    def reject(self, record: bytes, *, reason: str, detail: dict[str, Any]) -> None:
        self.rejected.append((record, reason, detail))


def make_inbox(tmp_path: Path, **overrides: Any) -> Inbox:
    settings: dict[str, Any] = {
        "name": "payments",
        "path": tmp_path / "in",
        "format": CsvFormat(),
        "event_type": "finance.payment.recorded",
        "batch_size": 2,
        **overrides,
    }
    inbox = Inbox(**settings)
    inbox.path.mkdir(parents=True, exist_ok=True)
    return inbox


def drop(inbox: Inbox, name: str, text: str) -> Path:
    path = inbox.path / name
    path.write_text(text)
    return path


def test_each_record_becomes_an_event_keyed_by_hash_and_number(tmp_path: Path):
    inbox = make_inbox(tmp_path)
    path = drop(inbox, "p.csv", "id,amount\n1,10\n2,20\n3,30\n")
    sha = file_hash(path)
    emitter = RecordingEmitter()
    InboxSource(inbox).process(path, emitter, FileProgress(inbox.state_file))
    assert [(e.key, e.extensions, e.payload.fields["id"]) for e in emitter.events] == [  # type: ignore[attr-defined]
        (f"{sha}:1", {"recordnumber": 1}, "1"),
        (f"{sha}:2", {"recordnumber": 2}, "2"),
        (f"{sha}:3", {"recordnumber": 3}, "3"),
    ]
    assert len({e.correlationid for e in emitter.events}) == 1


def test_a_clean_file_is_archived_under_todays_date(tmp_path: Path):
    inbox = make_inbox(tmp_path)
    path = drop(inbox, "p.csv", "id\n1\n")
    InboxSource(inbox).process(path, RecordingEmitter(), FileProgress(inbox.state_file))
    assert [p.name for p in inbox.archive_dir.glob("*/p.csv")] == ["p.csv"]


def test_a_bad_record_is_dead_lettered_with_its_line_and_the_rest_flows(tmp_path: Path):
    inbox = make_inbox(tmp_path, required=["amount"])
    path = drop(inbox, "p.csv", "id,amount\n1,10\n2,\n3,30,extra\n4,40\n")
    emitter = RecordingEmitter()
    InboxSource(inbox).process(path, emitter, FileProgress(inbox.state_file))
    report = json.loads((inbox.error_dir / "p.csv.error.json").read_text())
    assert (
        [e.payload.fields["id"] for e in emitter.events],  # type: ignore[attr-defined]
        [(reason, detail["line"]) for _, reason, detail in emitter.rejected],
        [(r["line"], r["reason"]) for r in report["records"]],
    ) == (
        ["1", "4"],
        [("missing_field", 3), ("ragged_row", 4)],
        [(3, "missing_field"), (4, "ragged_row")],
    )


def test_all_or_nothing_emits_nothing_from_a_file_with_one_bad_record(tmp_path: Path):
    inbox = make_inbox(tmp_path, all_or_nothing=True)
    path = drop(inbox, "p.csv", "id,amount\n1,10\n2\n")
    emitter = RecordingEmitter()
    outcome = InboxSource(inbox).process(path, emitter, FileProgress(inbox.state_file))
    assert (outcome, emitter.events, (inbox.error_dir / "p.csv").exists()) == ("error", [], True)


def test_the_same_bytes_dropped_twice_are_processed_once(tmp_path: Path):
    inbox = make_inbox(tmp_path)
    source, progress, emitter = (
        InboxSource(inbox),
        FileProgress(inbox.state_file),
        RecordingEmitter(),
    )
    source.process(drop(inbox, "a.csv", "id\n1\n"), emitter, progress)
    outcome = source.process(drop(inbox, "again.csv", "id\n1\n"), emitter, progress)
    assert (outcome, len(emitter.events)) == ("duplicate", 1)


def test_a_restart_resumes_after_the_last_confirmed_batch(tmp_path: Path):
    inbox = make_inbox(tmp_path)
    path = drop(inbox, "p.csv", "id\n" + "".join(f"{i}\n" for i in range(1, 8)))
    crashed = RecordingEmitter(fail_after_batches=2)
    with pytest.raises(ConnectionError):
        InboxSource(inbox).process(path, crashed, FileProgress(inbox.state_file))
    restarted = RecordingEmitter()
    InboxSource(inbox).process(path, restarted, FileProgress(inbox.state_file))
    assert [e.payload.fields["id"] for e in restarted.events] == ["5", "6", "7"]  # type: ignore[attr-defined]


def test_a_billion_laughs_file_ends_in_error_with_the_reason(tmp_path: Path):
    inbox = make_inbox(tmp_path, format=XmlFormat(record="row"))
    path = drop(
        inbox,
        "lol.xml",
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aa"><!ENTITY b "&a;&a;&a;">]>'
        "<rows><row>&b;</row></rows>",
    )
    emitter = RecordingEmitter()
    InboxSource(inbox).process(path, emitter, FileProgress(inbox.state_file))
    report = json.loads((inbox.error_dir / "lol.xml.error.json").read_text())
    assert ("DOCTYPE" in report["error"], emitter.rejected[0][1]) == (True, "unreadable_file")


def test_a_stop_mid_file_leaves_the_file_in_place_to_resume(tmp_path: Path):
    inbox = make_inbox(tmp_path)
    path = drop(inbox, "p.csv", "id\n" + "".join(f"{i}\n" for i in range(1, 6)))
    stopping = threading.Event()
    stopping.set()
    outcome = InboxSource(inbox).process(
        path, RecordingEmitter(), FileProgress(inbox.state_file), stop=stopping
    )
    resumed = RecordingEmitter()
    InboxSource(inbox).process(path, resumed, FileProgress(inbox.state_file))
    assert (outcome, [e.payload.fields["id"] for e in resumed.events]) == (  # type: ignore[attr-defined]
        "interrupted",
        ["3", "4", "5"],
    )


def test_claim_check_stores_the_file_and_emits_one_message_that_fetches_it(tmp_path: Path):
    inbox = make_inbox(tmp_path, deliver="file")
    text = "id,amount\n1,10\n2,20\n3,30\n"
    path = drop(inbox, "p.csv", text)
    sha = file_hash(path)
    emitter = RecordingEmitter()
    outcome = InboxSource(inbox).process(path, emitter, FileProgress(inbox.state_file))
    [event] = emitter.events
    claim = FileClaim.model_validate(event.payload.model_dump())
    with open_claim(claim) as stored:
        assert (outcome, event.key, claim.records, claim.size, stored.read().decode()) == (
            "archived",
            sha,
            3,
            len(text),
            text,
        )


def test_claim_check_sends_a_file_with_a_bad_record_to_error_and_emits_nothing(tmp_path: Path):
    inbox = make_inbox(tmp_path, deliver="file", required=["amount"])
    path = drop(inbox, "p.csv", "id,amount\n1,10\n2,\n")
    emitter = RecordingEmitter()
    outcome = InboxSource(inbox).process(path, emitter, FileProgress(inbox.state_file))
    report = json.loads((inbox.error_dir / "p.csv.error.json").read_text())
    assert (outcome, emitter.events, [r["line"] for r in report["records"]]) == ("error", [], [3])


def test_claim_check_after_a_crash_re_emits_the_same_message_for_the_same_copy(tmp_path: Path):
    inbox = make_inbox(tmp_path, deliver="file")
    path = drop(inbox, "p.csv", "id\n1\n")
    sha = file_hash(path)
    progress = FileProgress(inbox.state_file)
    with pytest.raises(ConnectionError):
        InboxSource(inbox).process(path, RecordingEmitter(fail_after_batches=0), progress)
    emitter = RecordingEmitter()
    outcome = InboxSource(inbox).process(path, emitter, progress)
    stored = [p.name for p in inbox.claims_dir.rglob("*") if p.is_file()]
    assert (outcome, [e.key for e in emitter.events], stored) == ("archived", [sha], [sha])


def test_a_changed_claim_is_refused_when_opened(tmp_path: Path):
    inbox = make_inbox(tmp_path, deliver="file")
    path = drop(inbox, "p.csv", "id\n1\n")
    emitter = RecordingEmitter()
    InboxSource(inbox).process(path, emitter, FileProgress(inbox.state_file))
    claim = FileClaim.model_validate(emitter.events[0].payload.model_dump())
    stored = Path(claim.location.removeprefix("file://"))
    stored.chmod(0o640)
    stored.write_text("id\n2\n")
    with pytest.raises(ClaimMismatch, match=r"no longer holds p\.csv"):
        open_claim(claim)


@pytest.mark.parametrize(
    ("event_type", "accepted"),
    [("tax.assessment-received", True), ("tax.assessment_received", False), ("Tax.x", False)],
)
def test_an_inbox_takes_exactly_the_event_types_the_registry_takes(
    tmp_path: Path, event_type: str, accepted: bool
):
    try:
        make_inbox(tmp_path, event_type=event_type)
    except ValueError:
        taken = False
    else:
        taken = True
    assert taken == accepted
