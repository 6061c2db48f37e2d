"""The inbox source: watches a folder, reads each ready file once (by content hash), emits
its records in confirmed batches and records progress after each, then archives the file."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import structlog
import watchfiles
from pydantic import BaseModel, create_model

from adapters._operation import Emitter, Source, SourceEvent
from adapters.filedrop._claims import FileClaim, store_claim
from adapters.filedrop._config import Inbox
from adapters.filedrop._disposal import ErrorReport, archive, reject
from adapters.filedrop._formats import read_records
from adapters.filedrop._ready import ReadyFiles
from adapters.filedrop._records import FileFormatError, Item, Record, RecordError
from adapters.filedrop._state import FileProgress

log = structlog.get_logger("civicbus.filedrop")

# Correlation ids of a file's records derive from its content hash: the same bytes always
# correlate under the same id, across restarts and hosts.
_FILE_NAMESPACE = uuid.UUID("7d0c2a56-3f1e-4b8e-a0d2-6c9f0e4b1a77")


class _Interrupted(Exception):
    """The source is stopping in the middle of a file; its progress is already saved."""


class FileRecord(BaseModel):
    """One record of a dropped file, as published."""

    file: str
    sha256: str
    recordnumber: int
    line: int
    fields: dict[str, Any]


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class InboxSource:
    """The `Source` of one inbox. `process(path, emitter)` handles one ready file."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        # One payload class per inbox: the schema registry types envelopes by class.
        base: type[BaseModel] = FileClaim if inbox.deliver == "file" else FileRecord
        self.model: type[BaseModel] = create_model(
            f"{base.__name__}_{inbox.name.replace('-', '_')}", __base__=base
        )

    def source(self) -> Source:
        return Source(
            self.inbox.name,
            self.model,
            self.inbox.event_type,
            self.run,
            description=(
                f"files dropped in {self.inbox.path}, stored for fetching (claim check)"
                if self.inbox.deliver == "file"
                else f"records of files dropped in {self.inbox.path}"
            ),
        )

    def run(self, emitter: Emitter, stop: threading.Event) -> None:
        self.inbox.path.mkdir(parents=True, exist_ok=True)
        ready = ReadyFiles(self.inbox)
        progress = FileProgress(self.inbox.state_file)
        try:
            for _ in self._wakeups(stop):
                for path in ready.scan():
                    if stop.is_set():
                        return
                    try:
                        self.process(path, emitter, progress, marker=ready.marker(path), stop=stop)
                    except Exception as error:
                        # The broker or the disk failed, not the file: it stays in the inbox
                        # with its progress and is resumed on a later scan.
                        log.error(
                            "file_failed",
                            file=path.name,
                            error=str(error),
                            error_type=type(error).__name__,
                        )
                    ready.forget(path)
        finally:
            progress.close()

    def _wakeups(self, stop: threading.Event) -> Iterator[object]:
        yield None  # files already waiting when the source starts
        interval = int(self.inbox.poll_interval * 1000)
        # watchfiles only wakes us early; each wake-up rescans, so a missed event only delays.
        yield from watchfiles.watch(
            self.inbox.path,
            stop_event=stop,
            force_polling=self.inbox.polling,
            poll_delay_ms=interval,
            rust_timeout=interval,
            yield_on_timeout=True,
            debounce=min(interval, 200),
            recursive=self.inbox.depth > 0,
            raise_interrupt=False,
        )

    def process(
        self,
        path: Path,
        emitter: Emitter,
        progress: FileProgress,
        *,
        marker: Path | None = None,
        stop: threading.Event | None = None,
    ) -> str:
        """Read, emit and file away `path`; returns "archived", "error" or "duplicate", or
        "interrupted" when `stop` was set mid-file (the file stays; a restart resumes it)."""
        sha256 = file_hash(path)
        known = progress.status(sha256)
        if known is not None and known[0] != "reading":
            target = archive(path, self.inbox.archive_dir / "duplicates", marker)
            log.warning(
                "file_skipped_duplicate", file=path.name, sha256=sha256, moved_to=str(target)
            )
            return "duplicate"
        resume_after = progress.begin(sha256, path.name)
        log.info("file_reading", file=path.name, sha256=sha256, resume_after=resume_after)
        report = ErrorReport(path.name, sha256)
        try:
            whole = self.inbox.all_or_nothing or self.inbox.deliver == "file"
            if whole and resume_after == 0:
                self._validate_all(path, report)
            if report.clean and self.inbox.deliver == "file":
                self._emit_claim(path, sha256, emitter, report)
            elif report.clean:
                self._emit_all(
                    path,
                    sha256,
                    resume_after=resume_after,
                    emitter=emitter,
                    progress=progress,
                    report=report,
                    stop=stop,
                )
        except _Interrupted:
            log.info("file_interrupted", file=path.name, emitted=report.emitted)
            return "interrupted"
        except FileFormatError as error:
            report.error = str(error)
            with path.open("rb") as handle:
                head = handle.read(1024)  # enough for an operator to recognise the file
            emitter.reject(
                head, reason="unreadable_file", detail={"file": path.name, "error": str(error)}
            )
        outcome = "archived" if report.clean else "error"
        if report.clean:
            target = archive(path, self.inbox.archive_dir, marker)
        else:
            target = reject(path, self.inbox.error_dir, report, marker)
        progress.finish(sha256, outcome)
        log.info(
            "file_processed",
            file=path.name,
            outcome=outcome,
            emitted=report.emitted,
            failed=report.failed,
            error=report.error,
            moved_to=str(target),
        )
        return outcome

    def _records(self, path: Path) -> Iterator[Item]:
        for item in read_records(path, self.inbox.format):
            yield self._validated(item)

    def _validated(self, item: Item) -> Item:
        if isinstance(item, RecordError) or not self.inbox.required:
            return item
        missing = [name for name in self.inbox.required if item.fields.get(name) in (None, "")]
        if not missing:
            return item
        raw = repr(item.fields).encode("utf-8", "replace")
        return RecordError(
            item.number, item.line, "missing_field", f"required fields are empty: {missing}", raw
        )

    def _validate_all(self, path: Path, report: ErrorReport) -> None:
        for item in self._records(path):
            if isinstance(item, RecordError):
                report.add(item.number, item.line, item.reason, item.message)
            else:
                report.checked += 1

    def _emit_claim(self, path: Path, sha256: str, emitter: Emitter, report: ErrorReport) -> None:
        # Stored before it is announced: a consumer can fetch whatever a message refers to.
        # After a crash the same bytes give the same stored copy and the same message id.
        stored = store_claim(path, self.inbox.claims_dir, sha256)
        claim = self.model(
            file=path.name,
            sha256=sha256,
            size=stored.stat().st_size,
            records=report.checked,
            format=self.inbox.format.type,
            location=stored.resolve().as_uri(),
        )
        correlation = str(uuid.uuid5(_FILE_NAMESPACE, sha256))
        emitter.emit([SourceEvent(claim, key=sha256, subject=path.name, correlationid=correlation)])
        report.emitted = 1

    def _emit_all(
        self,
        path: Path,
        sha256: str,
        *,
        resume_after: int,
        emitter: Emitter,
        progress: FileProgress,
        report: ErrorReport,
        stop: threading.Event | None,
    ) -> None:
        correlation = str(uuid.uuid5(_FILE_NAMESPACE, sha256))
        batch: list[SourceEvent] = []
        last = resume_after

        def flush() -> None:
            if batch:
                emitter.emit(batch)
                report.emitted += len(batch)
                batch.clear()
            # Only now is everything up to `last` on the broker: safe to skip after a crash.
            if last > resume_after:
                progress.confirm(sha256, last)

        for item in self._records(path):
            if item.number <= resume_after:
                continue
            if isinstance(item, RecordError):
                flush()
                emitter.reject(
                    item.raw,
                    reason=item.reason,
                    detail={
                        "file": path.name,
                        "sha256": sha256,
                        "recordnumber": item.number,
                        "line": item.line,
                        "message": item.message,
                    },
                )
                report.add(item.number, item.line, item.reason, item.message)
                last = item.number
                continue
            batch.append(self._event(path, sha256, correlation, item))
            last = item.number
            if len(batch) >= self.inbox.batch_size:
                flush()
                if stop is not None and stop.is_set():
                    raise _Interrupted
        flush()

    def _event(self, path: Path, sha256: str, correlation: str, record: Record) -> SourceEvent:
        payload = self.model(
            file=path.name,
            sha256=sha256,
            recordnumber=record.number,
            line=record.line,
            fields=record.fields,
        )
        return SourceEvent(
            payload,
            key=f"{sha256}:{record.number}",
            subject=path.name,
            correlationid=correlation,
            extensions={"recordnumber": record.number},
        )
