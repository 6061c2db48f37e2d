"""The catalog: every operation the running adapters offer, as names with schemas.

Adapters fill it when they start; the gateway and `Bus.call` read it, so neither imports an
adapter. Request and response schemas are registered in the schema registry under
`<adapter>.<operation>.request` and `.response`. Operations served by another process come
from the shared catalog table (`CatalogStore`), read through a short cache; they carry their
JSON Schemas instead of registered models.
"""

from __future__ import annotations

import difflib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bus._catalog_store import CatalogStore

_MISS_REFRESH = 0.5


class OperationNotFound(LookupError):
    """No running adapter offers an operation of that name."""


@dataclass(frozen=True)
class OperationEntry:
    """One operation of one adapter instance."""

    adapter: str
    operation: str
    description: str = ""
    idempotent: bool = False
    # Set only for operations known from the shared catalog table, not from a local adapter.
    request_schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    response_schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def name(self) -> str:
        return f"{self.adapter}.{self.operation}"

    @property
    def request_type(self) -> str:
        return f"{self.name}.request"

    @property
    def response_type(self) -> str:
        return f"{self.name}.response"


class Catalog:
    """Operations by name (`population-register.get-person`)."""

    def __init__(
        self,
        store: CatalogStore | None = None,
        *,
        stale_after: float = 60.0,
        cache_seconds: float = 2.0,
    ) -> None:
        self._entries: dict[str, OperationEntry] = {}
        self._lock = threading.Lock()
        self._store = store
        self._stale_after = stale_after
        self._cache_seconds = cache_seconds
        self._remote: dict[str, OperationEntry] = {}
        self._remote_read_at = float("-inf")

    def add(self, entry: OperationEntry) -> None:
        with self._lock:
            self._entries[entry.name] = entry

    def remove_adapter(self, adapter: str) -> None:
        with self._lock:
            for name in [n for n, e in self._entries.items() if e.adapter == adapter]:
                del self._entries[name]

    def get(self, name: str) -> OperationEntry:
        with self._lock:
            entry = self._entries.get(name)
        if entry is not None:
            return entry
        remote = self._remote_entries()
        entry = remote.get(name)
        if entry is None and self._store is not None:
            # Just started elsewhere? A fresh read before saying it does not exist, at most
            # every _MISS_REFRESH seconds so a stream of unknown names cannot load the database.
            entry = self._remote_entries(max_age=_MISS_REFRESH).get(name)
        if entry is not None:
            return entry
        with self._lock:
            known = sorted(set(self._entries) | set(self._remote))
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        offered = ", ".join(known) or "none (no adapter is running)"
        raise OperationNotFound(
            f"no operation {name!r}{hint} Operations on offer: {offered}. Names are "
            "<adapter>.<operation>, as `civicbus adapters list` shows."
        )

    def entries(self) -> list[OperationEntry]:
        """Every operation on offer: this process's own, then those served elsewhere."""
        remote = self._remote_entries()
        with self._lock:
            merged = {**remote, **self._entries}
        return sorted(merged.values(), key=lambda e: e.name)

    def _remote_entries(self, *, max_age: float | None = None) -> dict[str, OperationEntry]:
        if self._store is None:
            return {}
        now = time.monotonic()
        limit = self._cache_seconds if max_age is None else min(max_age, self._cache_seconds)
        with self._lock:
            if now - self._remote_read_at < limit:
                return self._remote
        stored = self._store.live(stale_after=self._stale_after)
        entries = {
            entry.name: entry
            for entry in (
                OperationEntry(
                    adapter=op.adapter,
                    operation=op.operation,
                    description=op.description,
                    idempotent=op.idempotent,
                    request_schema=op.request_schema,
                    response_schema=op.response_schema,
                )
                for op in stored
            )
        }
        with self._lock:
            self._remote, self._remote_read_at = entries, now
        return entries
