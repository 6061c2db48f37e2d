"""The file-drop adapter's configuration: inbox folders it watches, the outbox it writes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from adapters._config import AdapterConfig
from adapters.filedrop._formats import FileFormat
from schemas import TYPE_NAME_PATTERN


class Readiness(BaseModel):
    """When a file in an inbox may be read; a file still being written never is.

    - `stable`: size and mtime unchanged for `stable_seconds`, and at least `min_age` old.
    - `marker`: a marker `<name><marker_suffix>` sits beside it (written last by the sender).
    - `rename`: the sender writes under a temporary name (`temp_patterns`) and renames it into
      place, so any other name is complete.
    """

    model_config = ConfigDict(extra="forbid")

    mode: Literal["stable", "marker", "rename"] = "stable"
    stable_seconds: float = Field(2.0, ge=0)
    min_age: float = Field(1.0, ge=0)
    marker_suffix: str = Field(".done", min_length=1)
    temp_patterns: list[str] = Field(default_factory=lambda: ["*.tmp", "*.part", "*.partial"])


class Inbox(BaseModel):
    """One watched folder and how its files become events."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="The source name.")
    path: Path
    format: FileFormat
    event_type: str = Field(pattern=TYPE_NAME_PATTERN)
    include: list[str] = Field(default_factory=lambda: ["*"])
    exclude: list[str] = Field(default_factory=list)
    depth: int = Field(0, ge=0, description="Subfolder levels to descend; 0 = the folder only.")
    readiness: Readiness = Field(default_factory=Readiness)
    polling: bool = Field(False, description="Poll instead of inotify (network shares).")
    poll_interval: float = Field(1.0, gt=0, description="Seconds between scans.")
    required: list[str] = Field(
        default_factory=list, description="Fields a record must have non-empty."
    )
    all_or_nothing: bool = Field(False, description="One bad record sends the file to error/.")
    batch_size: int = Field(1000, ge=1, description="Events per confirmed publish.")
    deliver: Literal["records", "file"] = Field(
        "records",
        description="One message per record, or one per file referring to a stored copy "
        "(claim check; every record is read and checked first, and one bad record sends the "
        "file to error/).",
    )
    claims: Path | None = Field(None, description="Claim store; default <path>/claims.")
    archive: Path | None = Field(None, description="Default: <path>/archive.")
    error: Path | None = Field(None, description="Default: <path>/error.")
    state: Path | None = Field(None, description="Progress database; default <path>/.filedrop.")

    @property
    def archive_dir(self) -> Path:
        return self.archive or self.path / "archive"

    @property
    def error_dir(self) -> Path:
        return self.error or self.path / "error"

    @property
    def claims_dir(self) -> Path:
        return self.claims or self.path / "claims"

    @property
    def state_file(self) -> Path:
        return self.state or self.path / ".filedrop" / "state.sqlite3"


class Outbox(BaseModel):
    """The folder operations write files into, and how those files are named and laid out."""

    model_config = ConfigDict(extra="forbid")

    path: Path
    format: Literal["csv", "fixed-width", "xml"] = "csv"
    columns: list[str] = Field(min_length=1)
    widths: list[int] | None = Field(None, description="fixed-width: one width per column.")
    record_element: str = "record"
    root_element: str = "records"
    encoding: str = "utf-8"
    name_template: str = Field(
        "{prefix}-{timestamp}-{seq:06d}.{ext}",
        description="Fields: prefix, timestamp (UTC, compact), seq, ext, date.",
    )
    batch_count: int = Field(1000, ge=1, description="Records per file at most.")
    batch_seconds: float = Field(0.0, ge=0, description="Hold records this long for one file.")
    done_marker: str | None = Field(None, description="Suffix of an empty marker written after.")
    if_exists: Literal["fail", "suffix"] = Field(
        "fail", description="A name already taken: refuse, or add -1, -2..; never overwrite."
    )

    @field_validator("name_template")
    @classmethod
    def _template_stays_a_name(cls, value: str) -> str:
        if "/" in value or "\\" in value or re.search(r"\.\.", value):
            raise ValueError("name_template must be a plain file name, without / \\ or ..")
        return value


class FileDropConfig(AdapterConfig):
    kind: str = "filedrop"
    inboxes: list[Inbox] = Field(default_factory=list)
    outbox: Outbox | None = None
