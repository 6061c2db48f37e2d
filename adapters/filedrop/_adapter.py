"""The file-drop adapter: inbox folders as sources, an outbox folder as an operation."""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, Field

from adapters._base import Adapter, Health
from adapters._errors import AdapterConfigError
from adapters._operation import CallContext, Operation, Source
from adapters.filedrop._config import FileDropConfig
from adapters.filedrop._outbox import OutboxWriter
from adapters.filedrop._source import InboxSource


class WriteRecords(BaseModel):
    """Records to write for the legacy system. `name` picks the file name (checked against
    the path jail); otherwise the outbox's name template names it."""

    records: list[dict[str, Any]] = Field(min_length=1)
    name: str | None = None
    prefix: str = "records"


class FilesWritten(BaseModel):
    files: list[str]
    records: int


class FileDropAdapter(Adapter[FileDropConfig]):
    kind = "filedrop"
    config_model = FileDropConfig

    def __init__(self, name: str, config: FileDropConfig) -> None:
        super().__init__(name, config)
        names = [inbox.name for inbox in config.inboxes]
        if len(set(names)) != len(names):
            raise AdapterConfigError(f"inbox names must be unique, got {names}; rename one")
        self._inboxes = [InboxSource(inbox) for inbox in config.inboxes]
        self._writer = OutboxWriter(config.outbox) if config.outbox else None

    def start(self) -> None:
        for inbox in self.config.inboxes:
            inbox.path.mkdir(parents=True, exist_ok=True)
        if self.config.outbox is not None:
            self.config.outbox.path.mkdir(parents=True, exist_ok=True)

    def stop(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def health(self) -> Health:
        folders = [inbox.path for inbox in self.config.inboxes]
        if self.config.outbox is not None:
            folders.append(self.config.outbox.path)
        broken = [str(f) for f in folders if not (f.is_dir() and os.access(f, os.W_OK | os.X_OK))]
        if broken:
            return Health(ok=False, detail=f"folders missing or not writable: {', '.join(broken)}")
        return Health(ok=True, detail=f"{len(folders)} folders writable")

    def operations(self) -> list[Operation]:
        if self._writer is None:
            return []
        return [
            Operation(
                "write-records",
                WriteRecords,
                FilesWritten,
                self._write_records,
                description="Write records as a file in the outbox for the legacy system.",
            )
        ]

    def sources(self) -> list[Source]:
        return [inbox.source() for inbox in self._inboxes]

    def _write_records(self, request: BaseModel, context: CallContext) -> BaseModel:
        assert isinstance(request, WriteRecords)  # the host validated it against our schema
        assert self._writer is not None  # the operation exists only with an outbox
        files = self._writer.write(request.records, name=request.name, prefix=request.prefix)
        return FilesWritten(files=files, records=len(request.records))
