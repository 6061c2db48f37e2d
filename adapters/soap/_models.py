"""Pydantic models derived from WSDL types, so every SOAP operation has a typed request and
response on the bus. Field names are the XML names (with an alias when an XML name is not a
Python identifier)."""

from __future__ import annotations

import datetime as dt
import keyword
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model
from zeep.xsd import builtins as xsd_builtins
from zeep.xsd.elements import Any as XsdAny

HEADER_FIELD = "soap_header"

# Checked in order: zeep's Integer derives from Decimal and its String family from String.
_SCALARS: list[tuple[type[Any], Any]] = [
    (xsd_builtins.Boolean, bool),
    (xsd_builtins.Integer, int),
    (xsd_builtins.Decimal, Decimal),
    (xsd_builtins.Float, float),
    (xsd_builtins.Double, float),
    (xsd_builtins.DateTime, dt.datetime),
    (xsd_builtins.Date, dt.date),
    (xsd_builtins.Time, dt.time),
    (xsd_builtins.Base64Binary, bytes),
    (xsd_builtins.HexBinary, bytes),
    (xsd_builtins.String, str),
    (xsd_builtins.AnyURI, str),
]


class SoapModel(BaseModel):
    """Base of every derived model: XML names are accepted as aliases, unknowns refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


@dataclass(frozen=True)
class MessageShape:
    """How a SOAP message's values are laid out, to pass them to and from zeep."""

    fields: tuple[str, ...]  # the XML names of the body's child elements
    bare: str | None = None  # body element name when the body is one simple value
    # (field, its only child): zeep hands back the child's value when a reply has one field
    # whose type has exactly one child element and no attributes.
    single_child: tuple[tuple[str, str], ...] = ()
    has_header: bool = False  # the message declares soap:header parts


def python_name(xml_name: str) -> str:
    """A valid, public Python identifier for an XML name."""
    name = re.sub(r"\W", "_", xml_name).lstrip("_") or "value"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = f"{name}_"
    return name


class _Builder:
    def __init__(self) -> None:
        self._models: dict[Any, type[BaseModel]] = {}
        self._building: set[Any] = set()

    def model(
        self, name: str, elements: list[tuple[str, Any]], extra: dict[str, Any] | None = None
    ) -> type[BaseModel]:
        fields: dict[str, Any] = {}
        for xml_name, element in elements:
            annotation, default = self.field(element)
            py = python_name(xml_name)
            alias = xml_name if py != xml_name else None
            fields[py] = (annotation, Field(default, alias=alias))
        fields.update(extra or {})
        model: type[BaseModel] = create_model(name, __base__=SoapModel, **fields)
        return model

    def field(self, element: Any) -> tuple[Any, Any]:
        if isinstance(element, XsdAny):
            return Any, None
        annotation = self.annotation(element.type)
        many = element.max_occurs == "unbounded" or (element.max_occurs or 1) > 1
        if many:
            annotation = list[annotation]  # type: ignore[valid-type]  # built at runtime
        if many or element.min_occurs == 0 or element.nillable:
            return annotation | None, None
        return annotation, ...

    def annotation(self, xsd_type: Any) -> Any:
        for xsd_class, python_type in _SCALARS:
            if isinstance(xsd_type, xsd_class):
                return python_type
        elements = getattr(xsd_type, "elements", None)
        if not elements:
            return Any
        key = xsd_type.qname or id(xsd_type)
        if key in self._models:
            return self._models[key]
        if key in self._building:
            return Any  # a recursive type: the nested value travels as plain data
        self._building.add(key)
        try:
            name = xsd_type.qname.localname if xsd_type.qname else "Anonymous"
            built = self.model(python_name(name), list(elements))
        finally:
            self._building.discard(key)
        self._models[key] = built
        return built


def message_model(
    name: str, message: Any, *, with_header: bool
) -> tuple[type[BaseModel], MessageShape]:
    """The model of one SOAP message (zeep `operation.input`/`output`), and its shape.

    `message` None (a one-way operation's output) gives an empty model.
    """
    builder = _Builder()
    body = getattr(message, "body", None) if message is not None else None
    header_elements = _header_elements(message)
    extra: dict[str, Any] = {}
    if with_header and header_elements:
        header_model = builder.model(f"{name}Header", header_elements)
        extra[HEADER_FIELD] = (header_model | None, None)
    if body is None:
        shape = MessageShape((), has_header=bool(header_elements))
        return builder.model(name, [], extra), shape
    elements = getattr(body.type, "elements", None)
    if elements is None:
        # A bare body (one simple or untyped element): one field named after the element.
        bare = body.name
        fields = {
            python_name(bare): (
                builder.annotation(body.type) | None,
                Field(None, alias=bare if python_name(bare) != bare else None),
            )
        }
        model: type[BaseModel] = create_model(name, __base__=SoapModel, **{**fields, **extra})
        return model, MessageShape((bare,), bare=bare, has_header=bool(header_elements))
    elements = list(elements)
    single = tuple(
        (xml, element.type.elements[0][0])
        for xml, element in elements
        if len(getattr(getattr(element, "type", None), "elements", None) or []) == 1
        and not getattr(element.type, "attributes", None)
    )
    shape = MessageShape(tuple(xml for xml, _ in elements), None, single, bool(header_elements))
    return builder.model(name, elements, extra), shape


def _header_elements(message: Any) -> list[tuple[str, Any]]:
    header = getattr(message, "header", None) if message is not None else None
    if header is None:
        return []
    return list(getattr(header.type, "elements", None) or [])
