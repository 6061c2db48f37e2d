"""What a reader yields: one record of a file, or one record that could not be read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Record:
    """One record of a file: its 1-based number, the line it starts on, its fields."""

    number: int
    line: int
    fields: dict[str, Any]


@dataclass(frozen=True)
class RecordError:
    """One record that cannot become an event; the rest of the file may still flow."""

    number: int
    line: int
    reason: str
    message: str
    raw: bytes


class FileFormatError(ValueError):
    """The file as a whole cannot be read (wrong encoding, binary content, forbidden XML
    construct). The message says where and what to change; the file goes to error/."""


Item = Record | RecordError
Records = Iterator[Item]
