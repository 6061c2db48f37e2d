"""Writing files into the outbox: temp file, fsync, atomic no-clobber rename, an optional
done-marker; records of several calls batched into one file by count and time window."""

from __future__ import annotations

import itertools
import os
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from adapters._errors import LegacyFault, LegacyUnavailable
from adapters.filedrop._config import Outbox
from adapters.filedrop._jail import jailed
from adapters.filedrop._layout import EXTENSIONS, render

log = structlog.get_logger("civicbus.filedrop")


class OutboxWriter:
    """Writes the outbox's files. Thread-safe: operation calls arrive concurrently."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._batch: list[dict[str, Any]] = []
        self._batch_prefix = "records"
        self._flushed = threading.Condition(self._lock)
        self._generation = 0
        self._results: dict[int, list[str] | BaseException] = {}
        self._timer: threading.Timer | None = None

    def write(
        self, records: Sequence[dict[str, Any]], *, name: str | None = None, prefix: str = "records"
    ) -> list[str]:
        """Write `records` and return the names of the files that hold them, once they are
        durable. A `name` writes exactly one file of that name (jailed); otherwise files are
        named from the template and hold at most `batch_count` records."""
        jailed(self.outbox.path, prefix)  # the prefix ends up in a name: same rules
        render(self.outbox, records)  # refuse a bad record before anything is batched
        if name is not None:
            return [self._write_file(jailed(self.outbox.path, name), records)]
        if self.outbox.batch_seconds == 0:
            return [
                self._write_file(self._template_path(prefix), records[i : i + size])
                for size in [self.outbox.batch_count]
                for i in range(0, len(records), size)
            ]
        return self._batched(records, prefix)

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._flush_locked()

    def _batched(self, records: Sequence[dict[str, Any]], prefix: str) -> list[str]:
        with self._lock:
            if self._batch and prefix != self._batch_prefix:
                self._flush_locked()
            self._batch_prefix = prefix
            self._batch.extend(records)
            generation = self._generation
            if len(self._batch) >= self.outbox.batch_count:
                self._flush_locked()
            elif self._timer is None:
                self._timer = threading.Timer(self.outbox.batch_seconds, self._flush_on_timer)
                self._timer.daemon = True
                self._timer.start()
            while generation not in self._results:
                self._flushed.wait()
            result = self._results[generation]
        if isinstance(result, BaseException):
            raise result
        return result

    def _flush_on_timer(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        records, self._batch = self._batch, []
        generation = self._generation
        self._generation += 1
        try:
            size = self.outbox.batch_count
            self._results[generation] = [
                self._write_file(self._template_path(self._batch_prefix), records[i : i + size])
                for i in range(0, len(records), size)
            ]
        except Exception as error:  # handed to every waiting caller, not swallowed
            self._results[generation] = error
        # Results of old generations are read by their callers right after this notify.
        for old in [g for g in self._results if g < generation - 64]:
            del self._results[old]
        self._flushed.notify_all()

    def _template_path(self, prefix: str) -> Path:
        now = datetime.now(UTC)
        name = self.outbox.name_template.format(
            prefix=prefix,
            timestamp=now.strftime("%Y%m%dT%H%M%S%fZ"),
            date=now.strftime("%Y-%m-%d"),
            seq=next(self._seq),
            ext=EXTENSIONS[self.outbox.format],
        )
        return jailed(self.outbox.path, name)

    def _write_file(self, target: Path, records: Sequence[dict[str, Any]]) -> str:
        content = render(self.outbox, records)
        folder = target.parent
        temp = folder / f".{target.name}.{uuid.uuid4().hex}.tmp"
        try:
            with temp.open("xb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            final = self._place(temp, target)
        except OSError as error:
            raise LegacyUnavailable(
                f"outbox {folder} cannot be written ({error.strerror}); check the folder exists, "
                "is writable and has space",
                sent=False,
                detail={"folder": str(folder)},
            ) from error
        finally:
            temp.unlink(missing_ok=True)
        if self.outbox.done_marker:
            marker = final.with_name(final.name + self.outbox.done_marker)
            with marker.open("xb") as handle:
                os.fsync(handle.fileno())
        _fsync_dir(folder)
        log.info("file_written", file=final.name, records=len(records), bytes=len(content))
        return final.name

    def _place(self, temp: Path, target: Path) -> Path:
        # os.link fails if the name exists: an atomic rename that never overwrites.
        for attempt in range(1000):
            candidate = (
                target
                if attempt == 0
                else target.with_name(f"{target.stem}-{attempt}{target.suffix}")
            )
            try:
                os.link(temp, candidate)
            except FileExistsError:
                if self.outbox.if_exists == "fail":
                    raise LegacyFault(
                        f"{candidate.name} already exists in the outbox and if_exists is 'fail'; "
                        "send another name, or have the legacy system pick up the old file",
                        fault_code="file_exists",
                        retryable=False,
                        detail={"name": candidate.name},
                    ) from None
                continue
            return candidate
        raise LegacyFault(
            f"no free name near {target.name} after 1000 tries; clear the outbox",
            fault_code="file_exists",
            retryable=False,
        )


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the directory entry is.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
