"""COBOL copybooks: the elementary items of a record layout, read from the copybook text,
and the decoding of one fixed-length record (EBCDIC text, zoned, binary and packed decimal)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapters.filedrop._records import FileFormatError

_ITEM = re.compile(
    r"^\s*(?P<level>\d{1,2})\s+(?P<name>[A-Z0-9][A-Z0-9-]*)(?P<rest>[^.]*)\.", re.I | re.M
)
_PIC = re.compile(r"\bPIC(?:TURE)?\s+(?:IS\s+)?(?P<pic>\S+)", re.I)
_USAGE = re.compile(
    r"\b(COMP-3|COMPUTATIONAL-3|PACKED-DECIMAL|COMP-5|COMP-4|COMPUTATIONAL-4|COMPUTATIONAL-5|"
    r"COMPUTATIONAL|COMP|BINARY|DISPLAY)\b",
    re.I,
)
_UNSUPPORTED = re.compile(r"\b(OCCURS|REDEFINES|COMP-1|COMP-2)\b", re.I)
_REPEAT = re.compile(r"(.)\((\d+)\)")


@dataclass(frozen=True)
class CopybookField:
    """One elementary item: where it sits in the record and how its bytes are encoded."""

    name: str
    offset: int
    size: int
    kind: str  # "text", "zoned", "binary", "packed"
    digits: int = 0
    scale: int = 0
    signed: bool = False


def parse_copybook(text: str) -> list[CopybookField]:
    """The elementary items of `text` in record order; names get `_` for `-`.

    Raises FileFormatError for what this reader does not decode (OCCURS, REDEFINES,
    floating point), rather than misreading the record."""
    fields: list[CopybookField] = []
    offset = 0
    for match in _ITEM.finditer(_strip_comments(text)):
        rest = match["rest"]
        if bad := _UNSUPPORTED.search(rest):
            raise FileFormatError(
                f"copybook item {match['name']} uses {bad[1].upper()}, which this reader does "
                "not decode; flatten the layout or use a fixed-width format"
            )
        pic = _PIC.search(rest)
        if pic is None or match["level"] in {"66", "77", "88"}:
            continue  # a group item: its children carry the bytes
        usage = _USAGE.search(rest)
        field = _field(match["name"], pic["pic"], (usage[1] if usage else "DISPLAY").upper())
        fields.append(CopybookField(**{**field.__dict__, "offset": offset}))
        offset += field.size
    if not fields:
        raise FileFormatError("copybook declares no PIC items; check it is a COBOL record layout")
    return fields


def _strip_comments(text: str) -> str:
    # Columns 1-6 are sequence numbers and a `*` in column 7 marks a comment line.
    lines = []
    for line in text.splitlines():
        if len(line) > 6 and line[6] in "*/":
            continue
        lines.append(line[6:72] if len(line) > 6 else "")
    return "\n".join(lines)


def _field(name: str, pic: str, usage: str) -> CopybookField:
    expanded = _REPEAT.sub(lambda m: m[1] * int(m[2]), pic.upper())
    name = name.upper().replace("-", "_")
    if set(expanded) <= {"X", "A"}:
        return CopybookField(name, 0, len(expanded), "text")
    signed = expanded.startswith("S")
    body = expanded.removeprefix("S")
    if not set(body) <= {"9", "V"} or body.count("V") > 1:
        raise FileFormatError(
            f"copybook item {name} has PIC {pic}, which this reader does not decode "
            "(only X, A, S9...V9...); describe it as PIC X and convert downstream"
        )
    integer, _, fraction = body.partition("V")
    digits = len(integer) + len(fraction)
    if usage in {"COMP-3", "COMPUTATIONAL-3", "PACKED-DECIMAL"}:
        return CopybookField(name, 0, digits // 2 + 1, "packed", digits, len(fraction), signed)
    if usage in {"COMP", "COMPUTATIONAL", "COMP-4", "COMPUTATIONAL-4", "COMP-5", "BINARY"}:
        size = 2 if digits <= 4 else 4 if digits <= 9 else 8
        return CopybookField(name, 0, size, "binary", digits, len(fraction), signed)
    return CopybookField(name, 0, digits, "zoned", digits, len(fraction), signed)


def decode_field(field: CopybookField, data: bytes, codepage: str) -> Any:
    """The value of `field` in `data` (its bytes only). Raises ValueError on bad digits."""
    if field.kind == "text":
        # Low-values (0x00) pad text fields in many extracts; they read as spaces.
        return data.decode(codepage).replace("\x00", " ").strip()
    if field.kind == "binary":
        return _scaled(int.from_bytes(data, "big", signed=field.signed), field.scale)
    if field.kind == "packed":
        return _scaled(unpack_decimal(data), field.scale)
    return _scaled(_unzone(data), field.scale)


def unpack_decimal(data: bytes) -> int:
    """A COMP-3 number: two digits per byte, the last nibble the sign (D = negative;
    C, F, A, E = positive). Raises ValueError on a nibble that is not a digit or sign."""
    nibbles = [n for byte in data for n in (byte >> 4, byte & 0x0F)]
    *digits, sign = nibbles
    if any(d > 9 for d in digits) or sign < 0x0A:
        raise ValueError(f"bytes {data.hex()} are not a packed decimal")
    value = int("".join(map(str, digits)) or "0")
    return -value if sign in (0x0B, 0x0D) else value


def _unzone(data: bytes) -> int:
    # Zoned decimal: the low nibble of each byte is a digit; the zone of the last byte holds
    # the sign (EBCDIC D, or ASCII overpunch 7, means negative).
    digits = [byte & 0x0F for byte in data]
    if any(d > 9 for d in digits):
        raise ValueError(f"bytes {data.hex()} are not a zoned decimal")
    value = int("".join(map(str, digits)) or "0")
    return -value if data and (data[-1] >> 4) in (0x0D, 0x07) else value


def _scaled(value: int, scale: int) -> int | Decimal:
    return value if scale == 0 else Decimal(value).scaleb(-scale)
