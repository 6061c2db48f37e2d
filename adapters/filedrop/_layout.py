"""Rendering records for a legacy system to pick up: CSV, fixed-width or XML bytes."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from lxml import etree

from adapters._errors import InvalidRequest
from adapters.filedrop._config import Outbox

EXTENSIONS = {"csv": "csv", "fixed-width": "txt", "xml": "xml"}


def render(outbox: Outbox, records: Sequence[dict[str, Any]]) -> bytes:
    """The file content for `records`. Raises InvalidRequest for a record that does not fit
    the layout (unknown field, value wider than its column), before anything is written."""
    for number, record in enumerate(records, start=1):
        unknown = set(record) - set(outbox.columns)
        if unknown:
            raise InvalidRequest(
                f"record {number} has fields {sorted(unknown)} that the outbox layout does not "
                f"declare (columns: {outbox.columns}); drop them or add them to the config",
                detail={"record": number, "fields": sorted(unknown)},
            )
    if outbox.format == "csv":
        text = _csv(outbox, records)
    elif outbox.format == "fixed-width":
        text = _fixed(outbox, records)
    else:
        return _xml(outbox, records)
    return text.encode(outbox.encoding)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _csv(outbox: Outbox, records: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(outbox.columns)
    for record in records:
        writer.writerow([_cell(record.get(column)) for column in outbox.columns])
    return buffer.getvalue()


def _fixed(outbox: Outbox, records: Sequence[dict[str, Any]]) -> str:
    widths = outbox.widths or []
    if len(widths) != len(outbox.columns):
        raise InvalidRequest("the fixed-width outbox needs one width per column; fix the config")
    lines = []
    for number, record in enumerate(records, start=1):
        cells = []
        for column, width in zip(outbox.columns, widths, strict=True):
            value = _cell(record.get(column))
            if len(value) > width or "\n" in value or "\r" in value:
                # Truncating would change the data silently; the caller must decide.
                raise InvalidRequest(
                    f"record {number} field {column} holds {len(value)} characters (or a line "
                    f"break) for a {width}-character column; shorten it",
                    detail={"record": number, "field": column},
                )
            cells.append(value.ljust(width))
        lines.append("".join(cells))
    return "".join(line + "\r\n" for line in lines)


def _xml(outbox: Outbox, records: Sequence[dict[str, Any]]) -> bytes:
    root = etree.Element(outbox.root_element)
    for record in records:
        element = etree.SubElement(root, outbox.record_element)
        for column in outbox.columns:
            try:
                etree.SubElement(element, column).text = _cell(record.get(column))
            except ValueError as error:
                raise InvalidRequest(
                    f"field {column!r} cannot be written as XML: {error}; remove control "
                    "characters or rename the column"
                ) from error
    return bytes(etree.tostring(root, xml_declaration=True, encoding=outbox.encoding))
