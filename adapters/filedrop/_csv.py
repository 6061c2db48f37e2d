"""CSV records, streamed: title rows above the header, quoted newlines, ragged rows reported
one by one, the encoding declared or detected."""

from __future__ import annotations

import csv
from collections import deque
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.filedrop._encoding import resolve_encoding
from adapters.filedrop._records import FileFormatError, Record, RecordError, Records

_QUOTING: dict[str, Literal[0, 1, 2, 3]] = {
    "minimal": csv.QUOTE_MINIMAL,
    "all": csv.QUOTE_ALL,
    "nonnumeric": csv.QUOTE_NONNUMERIC,
    "none": csv.QUOTE_NONE,
}


class CsvFormat(BaseModel):
    """How a CSV file is laid out. `header_row` is the 0-based row holding the column names;
    rows above it (titles, repeated headers) are skipped. With `header_row: null` the names
    come from `columns`."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["csv"] = "csv"
    delimiter: str = Field(",", min_length=1, max_length=1)
    quotechar: str = Field('"', min_length=1, max_length=1)
    quoting: Literal["minimal", "all", "nonnumeric", "none"] = "minimal"
    encoding: str = Field("auto", description="A Python codec name, or auto (BOM, UTF-8, cp1252).")
    header_row: int | None = Field(0, ge=0)
    columns: list[str] | None = None
    skip_blank_rows: bool = True
    allow_ragged: bool = Field(False, description="Pad short rows and keep extra cells.")
    skip_footer_rows: int = Field(0, ge=0, description="Non-blank rows below the data (sources).")


def read_csv(path: Path, fmt: CsvFormat) -> Records:
    # Footer rows are only known as such once the file ends: hold back that many records.
    pending: deque[Record | RecordError] = deque()
    for item in _read_all(path, fmt):
        pending.append(item)
        if len(pending) > fmt.skip_footer_rows:
            yield pending.popleft()


def _read_all(path: Path, fmt: CsvFormat) -> Records:
    if fmt.header_row is None and not fmt.columns:
        raise FileFormatError("csv format without header_row needs columns: [...] names")
    encoding = resolve_encoding(path, fmt.encoding)
    with path.open("r", encoding=encoding, newline="") as handle:
        reader = csv.reader(
            handle,
            delimiter=fmt.delimiter,
            quotechar=fmt.quotechar,
            quoting=_QUOTING[fmt.quoting],
        )
        names = list(fmt.columns) if fmt.columns else None
        row_index = -1
        number = 0
        end_line = 0
        while True:
            start_line = end_line + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise FileFormatError(
                    f"{path.name} cannot be parsed as CSV near line {reader.line_num}: {error}; "
                    "check delimiter/quotechar, or whether the file is text at all"
                ) from error
            end_line = reader.line_num
            row_index += 1
            if fmt.header_row is not None and row_index <= fmt.header_row:
                if row_index == fmt.header_row and names is None:
                    names = _column_names(row)
                continue
            if fmt.skip_blank_rows and not any(cell.strip() for cell in row):
                continue
            number += 1
            assert names is not None  # set above: columns given, or the header row was read
            if len(row) != len(names) and not fmt.allow_ragged:
                yield RecordError(
                    number,
                    start_line,
                    "ragged_row",
                    f"row has {len(row)} fields, the header has {len(names)}",
                    fmt.delimiter.join(row).encode(encoding, "replace"),
                )
                continue
            yield Record(number, start_line, _fields(names, row))


def _column_names(row: list[str]) -> list[str]:
    # An unnamed column (a trailing delimiter in the header) still holds data sometimes.
    return [cell.strip() or f"column_{i + 1}" for i, cell in enumerate(row)]


def _fields(names: list[str], row: list[str]) -> dict[str, str | None]:
    fields: dict[str, str | None] = dict.fromkeys(names)
    for i, cell in enumerate(row):
        fields[names[i] if i < len(names) else f"column_{i + 1}"] = cell
    return fields
