"""The file formats a drop folder can hold, and the reader for each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from adapters.filedrop._binary import CopybookFormat, read_copybook
from adapters.filedrop._csv import CsvFormat, read_csv
from adapters.filedrop._fixed import FixedWidthFormat, read_fixed_width
from adapters.filedrop._jsonl import JsonLinesFormat, read_jsonl
from adapters.filedrop._records import Records
from adapters.filedrop._xml import XmlFormat, read_xml

FileFormat = Annotated[
    CsvFormat | FixedWidthFormat | CopybookFormat | XmlFormat | JsonLinesFormat,
    Field(discriminator="type"),
]

_READERS: dict[type[Any], Callable[[Path, Any], Records]] = {
    CsvFormat: read_csv,
    FixedWidthFormat: read_fixed_width,
    CopybookFormat: read_copybook,
    XmlFormat: read_xml,
    JsonLinesFormat: read_jsonl,
}


def read_records(path: Path, fmt: FileFormat) -> Records:
    """Stream the records of `path`. Raises FileFormatError (from the first `next`) when the
    file as a whole cannot be read."""
    return _READERS[type(fmt)](path, fmt)
