"""Which files of an inbox are complete and may be read now."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

from adapters.filedrop._config import Inbox


class ReadyFiles:
    """Scans an inbox and remembers what it saw, so `stable` readiness can tell a file that
    is still growing from one that has been left alone."""

    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox
        self._seen: dict[Path, tuple[int, int, float]] = {}  # size, mtime_ns, first seen
        self._skip_dirs = {
            inbox.archive_dir.resolve(),
            inbox.error_dir.resolve(),
            inbox.claims_dir.resolve(),
        }

    def scan(self, now: float | None = None) -> list[Path]:
        """Files ready now, oldest first."""
        now = time.time() if now is None else now
        candidates = list(self._candidates(self._inbox.path, 0))
        ready = [
            (stat.st_mtime_ns, path) for path, stat in candidates if self._is_ready(path, stat, now)
        ]
        present = {path for path, _ in candidates}
        self._seen = {p: s for p, s in self._seen.items() if p in present}
        return [path for _, path in sorted(ready)]

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)

    def marker(self, path: Path) -> Path | None:
        if self._inbox.readiness.mode != "marker":
            return None
        return path.with_name(path.name + self._inbox.readiness.marker_suffix)

    def _candidates(self, folder: Path, level: int) -> Iterator[tuple[Path, os.stat_result]]:
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            return
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                continue  # our own state folder, editors' and copiers' hidden temp files
            if entry.is_dir(follow_symlinks=False):
                if level < self._inbox.depth and path.resolve() not in self._skip_dirs:
                    yield from self._candidates(path, level + 1)
                continue
            if entry.is_file(follow_symlinks=False) and self._wanted(path):
                yield path, entry.stat()

    def _wanted(self, path: Path) -> bool:
        relative = path.relative_to(self._inbox.path).as_posix()
        readiness = self._inbox.readiness
        if readiness.mode == "marker" and path.name.endswith(readiness.marker_suffix):
            return False
        if any(fnmatch(path.name, p) for p in readiness.temp_patterns):
            return False
        included = any(fnmatch(path.name, p) or fnmatch(relative, p) for p in self._inbox.include)
        excluded = any(fnmatch(path.name, p) or fnmatch(relative, p) for p in self._inbox.exclude)
        return included and not excluded

    def _is_ready(self, path: Path, stat: os.stat_result, now: float) -> bool:
        readiness = self._inbox.readiness
        if readiness.mode == "rename":
            return True
        if readiness.mode == "marker":
            marker = self.marker(path)
            return marker is not None and marker.exists()
        signature = (stat.st_size, stat.st_mtime_ns)
        seen = self._seen.get(path)
        if seen is None or seen[:2] != signature:
            self._seen[path] = (*signature, now)
            seen = self._seen[path]
        old_enough = now - stat.st_mtime >= readiness.min_age
        return old_enough and now - seen[2] >= readiness.stable_seconds
