"""The catalog: every operation the running adapters offer, as names with schemas.

Adapters fill it when they start; the gateway and `Bus.call` read it, so neither imports an
adapter. Request and response schemas are registered in the schema registry under
`<adapter>.<operation>.request` and `.response`.
"""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass


class OperationNotFound(LookupError):
    """No running adapter offers an operation of that name."""


@dataclass(frozen=True)
class OperationEntry:
    """One operation of one adapter instance."""

    adapter: str
    operation: str
    description: str = ""
    idempotent: bool = False

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

    def __init__(self) -> None:
        self._entries: dict[str, OperationEntry] = {}
        self._lock = threading.Lock()

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
            known = sorted(self._entries)
        if entry is not None:
            return entry
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        offered = ", ".join(known) or "none (no adapter is running in this process)"
        raise OperationNotFound(
            f"no operation {name!r}{hint} Operations on offer: {offered}. Names are "
            "<adapter>.<operation>, as `civicbus adapters list` shows."
        )

    def entries(self) -> list[OperationEntry]:
        with self._lock:
            return sorted(self._entries.values(), key=lambda e: e.name)
