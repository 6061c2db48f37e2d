"""Where a processed file goes: `archive/<date>/`, or `error/` with a report beside it that
says which records failed and why. Names never collide: a taken name gets a suffix."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The report keeps the first failures only, so a file of a million bad rows cannot make the
# source's memory grow; `failed` still counts them all.
MAX_REPORTED = 1000


@dataclass
class ErrorReport:
    """What went wrong with one file, written as `<name>.error.json` beside it in error/."""

    file: str
    sha256: str
    error: str | None = None
    failed: int = 0
    emitted: int = 0
    checked: int = 0  # records read and found good before any was emitted
    records: list[dict[str, Any]] = field(default_factory=list)

    def add(self, number: int, line: int, reason: str, message: str) -> None:
        self.failed += 1
        if len(self.records) < MAX_REPORTED:
            entry = {"record": number, "line": line, "reason": reason, "message": message}
            self.records.append(entry)

    @property
    def clean(self) -> bool:
        return self.error is None and self.failed == 0


def archive(path: Path, archive_dir: Path, extra: Path | None = None) -> Path:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    return _move(path, archive_dir / day, extra)


def reject(path: Path, error_dir: Path, report: ErrorReport, extra: Path | None = None) -> Path:
    target = _move(path, error_dir, extra)
    report_path = target.with_name(target.name + ".error.json")
    report_path.write_text(json.dumps(asdict(report), indent=2, default=str), encoding="utf-8")
    return target


def _move(path: Path, folder: Path, extra: Path | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = free_name(folder / path.name)
    os.replace(path, target)
    if extra is not None and extra.exists():
        os.replace(extra, free_name(folder / extra.name))
    return target


def free_name(path: Path) -> Path:
    """`path`, or `name-1.ext`, `name-2.ext`... when taken."""
    candidate, n = path, 0
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate
