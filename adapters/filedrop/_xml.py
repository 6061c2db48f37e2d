"""XML records, streamed by record element, with a parser that refuses DTDs (so no entity
expansion, no external entities), never touches the network and keeps libxml2's size limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field

from adapters.filedrop._records import FileFormatError, Record, Records


class XmlFormat(BaseModel):
    """`record` is the local name of the element that is one record (namespace ignored)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["xml"] = "xml"
    record: str = Field(min_length=1)


def read_xml(path: Path, fmt: XmlFormat) -> Records:
    context = etree.iterparse(
        str(path),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    number = 0
    checked = False
    try:
        for event, element in context:
            if not checked:
                _refuse_dtd(path, element)
                checked = True
            if event != "end" or etree.QName(element).localname != fmt.record:
                continue
            number += 1
            yield Record(number, element.sourceline or 0, _element_fields(element))
            # Drop what was read so memory stays flat however many records follow.
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as error:
        raise FileFormatError(
            f"{path.name} is not well-formed XML at line {error.lineno}: {error.msg}; "
            f"{number} records were read before it"
        ) from error


def _refuse_dtd(path: Path, element: Any) -> None:
    docinfo = element.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise FileFormatError(
            f"{path.name} declares a DOCTYPE; DTDs and entities are refused (they enable "
            "entity-expansion and external-entity attacks); ask the sender for plain XML"
        )


def _element_fields(element: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {f"@{etree.QName(k).localname}": v for k, v in element.attrib.items()}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        value: Any = _element_fields(child) if len(child) or child.attrib else (child.text or "")
        if name in fields:
            existing = fields[name]
            fields[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            fields[name] = value
    return fields
