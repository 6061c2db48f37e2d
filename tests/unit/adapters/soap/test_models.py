"""Pydantic models derived from WSDL types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.soap import SoapAdapter, SoapConfig, python_name

TYPES = """<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"
  xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="urn:t"
  xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t">
 <types><xs:schema targetNamespace="urn:t" elementFormDefault="qualified">
  <xs:complexType name="Address"><xs:sequence>
   <xs:element name="street" type="xs:string"/></xs:sequence></xs:complexType>
  <xs:element name="Check"><xs:complexType><xs:sequence>
   <xs:element name="text" type="xs:string"/>
   <xs:element name="count" type="xs:int"/>
   <xs:element name="big" type="xs:long"/>
   <xs:element name="amount" type="xs:decimal"/>
   <xs:element name="ratio" type="xs:double"/>
   <xs:element name="flag" type="xs:boolean"/>
   <xs:element name="day" type="xs:date"/>
   <xs:element name="at" type="xs:dateTime"/>
   <xs:element name="blob" type="xs:base64Binary"/>
   <xs:element name="maybe" type="xs:string" minOccurs="0"/>
   <xs:element name="nil" type="xs:string" nillable="true"/>
   <xs:element name="tags" type="xs:string" maxOccurs="unbounded"/>
   <xs:element name="address" type="tns:Address"/>
   <xs:element name="first-name" type="xs:string"/>
   <xs:element name="anything" type="xs:anyType"/>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="CheckResponse"><xs:complexType><xs:sequence>
   <xs:element name="ok" type="xs:boolean"/></xs:sequence></xs:complexType></xs:element>
 </xs:schema></types>
 <message name="In"><part name="p" element="tns:Check"/></message>
 <message name="Out"><part name="p" element="tns:CheckResponse"/></message>
 <portType name="PT"><operation name="Check"><input message="tns:In"/>
  <output message="tns:Out"/></operation></portType>
 <binding name="B" type="tns:PT"><soap:binding style="document"
   transport="http://schemas.xmlsoap.org/soap/http"/>
  <operation name="Check"><soap:operation soapAction=""/>
   <input><soap:body use="literal"/></input><output><soap:body use="literal"/></output>
  </operation></binding>
 <service name="S"><port name="P" binding="tns:B">
  <soap:address location="http://127.0.0.1:9/s"/></port></service>
</definitions>"""


@pytest.fixture
def check_fields(tmp_path: Path) -> dict[str, Any]:
    wsdl = tmp_path / "types.wsdl"
    wsdl.write_text(TYPES)
    adapter = SoapAdapter("legacy", SoapConfig(wsdl=str(wsdl)))
    adapter.start()
    return dict(adapter.operations()[0].request.model_fields)


@pytest.mark.parametrize(
    ("field", "annotation"),
    [
        ("text", str),
        ("count", int),
        ("big", int),
        ("amount", Decimal),
        ("ratio", float),
        ("flag", bool),
        ("day", dt.date),
        ("at", dt.datetime),
        ("blob", bytes),
        ("maybe", str | None),
        ("nil", str | None),
        ("tags", list[str] | None),
        ("anything", Any),
    ],
)
def test_xsd_types_map_to_python_types(
    check_fields: dict[str, Any], field: str, annotation: object
) -> None:
    assert check_fields[field].annotation == annotation


def test_optional_fields_default_to_none(check_fields: dict[str, Any]) -> None:
    assert check_fields["maybe"].default is None


def test_complex_types_become_nested_models(check_fields: dict[str, Any]) -> None:
    assert list(check_fields["address"].annotation.model_fields) == ["street"]


def test_xml_names_that_are_not_identifiers_get_an_alias(check_fields: dict[str, Any]) -> None:
    assert check_fields["first_name"].alias == "first-name"


@pytest.mark.parametrize(
    ("xml", "python"), [("first-name", "first_name"), ("class", "class_"), ("_x", "x")]
)
def test_python_name(xml: str, python: str) -> None:
    assert python_name(xml) == python
