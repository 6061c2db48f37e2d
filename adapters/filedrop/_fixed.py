"""Fixed-width text records from a declared layout, one per line."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.filedrop._encoding import resolve_encoding
from adapters.filedrop._records import Record, RecordError, Records


class FixedField(BaseModel):
    """One column: `start` is 0-based, `type` how its trimmed text is read."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    start: int = Field(ge=0)
    length: int = Field(ge=1)
    type: Literal["str", "int", "decimal"] = "str"

    @property
    def end(self) -> int:
        return self.start + self.length


class FixedWidthFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["fixed-width"] = "fixed-width"
    fields: list[FixedField] = Field(min_length=1)
    encoding: str = "auto"
    skip_lines: int = Field(0, ge=0, description="Header lines above the first record.")


def read_fixed_width(path: Path, fmt: FixedWidthFormat) -> Records:
    encoding = resolve_encoding(path, fmt.encoding)
    width = max(field.end for field in fmt.fields)
    number = 0
    with path.open("r", encoding=encoding, newline=None) as handle:
        for line_no, text in enumerate(handle, start=1):
            line = text.rstrip("\n")
            if line_no <= fmt.skip_lines or not line.strip():
                continue
            number += 1
            raw = line.encode(encoding, "replace")
            if len(line) < width:
                yield RecordError(
                    number,
                    line_no,
                    "short_record",
                    f"line has {len(line)} characters, the layout needs {width}",
                    raw,
                )
                continue
            try:
                fields = {f.name: _value(f, line[f.start : f.end]) for f in fmt.fields}
            except ValueError as error:
                yield RecordError(number, line_no, "invalid_field", str(error), raw)
                continue
            yield Record(number, line_no, fields)


def _value(field: FixedField, text: str) -> Any:
    value = text.strip()
    if field.type == "str":
        return value
    if not value:
        return None
    try:
        return int(value) if field.type == "int" else Decimal(value)
    except (ValueError, InvalidOperation) as error:
        raise ValueError(f"field {field.name} holds {value!r}, not a {field.type}") from error
