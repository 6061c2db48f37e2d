"""Fixed-length binary records described by a COBOL copybook (mainframe extracts)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.filedrop._copybook import decode_field, parse_copybook
from adapters.filedrop._records import FileFormatError, Record, RecordError, Records


class CopybookFormat(BaseModel):
    """`copybook` is the path of the layout (.cob); `codepage` the EBCDIC code page of text
    and zoned fields (cp037 US/Canada, cp500 international, cp273 German, cp1140 with euro)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["copybook"] = "copybook"
    copybook: Path
    codepage: str = "cp037"
    record_length: int | None = Field(
        None, ge=1, description="Bytes per record when larger than the layout (filler)."
    )


def read_copybook(path: Path, fmt: CopybookFormat) -> Records:
    try:
        layout = parse_copybook(fmt.copybook.read_text(encoding="utf-8", errors="replace"))
    except OSError as error:
        raise FileFormatError(
            f"copybook {fmt.copybook} cannot be read ({error}); check format.copybook"
        ) from error
    size = sum(field.size for field in layout)
    length = fmt.record_length or size
    if length < size:
        raise FileFormatError(f"record_length {length} is shorter than the copybook's {size}")
    with path.open("rb") as handle:
        number = 0
        while chunk := handle.read(length):
            number += 1
            if len(chunk) < length:
                yield RecordError(
                    number,
                    number,
                    "truncated_record",
                    f"the file ends {len(chunk)} bytes into a {length}-byte record",
                    chunk,
                )
                return
            try:
                fields = {
                    f.name: decode_field(f, chunk[f.offset : f.offset + f.size], fmt.codepage)
                    for f in layout
                }
            except (ValueError, UnicodeDecodeError) as error:
                yield RecordError(number, number, "invalid_field", str(error), chunk)
                continue
            # Binary records have no lines: `line` is the record number.
            yield Record(number, number, fields)
