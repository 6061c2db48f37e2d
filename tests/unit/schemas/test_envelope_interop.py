"""Any CloudEvents SDK can read what we write, and we read what it writes.

The cloudevents SDK 2.x has two APIs: ``cloudevents.core`` (new) and ``cloudevents.v1`` (the
1.x ``http``/``conversion`` API, moved); both are checked, in structured JSON mode.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from cloudevents.v1 import conversion as v1_conversion
from cloudevents.v1 import http as v1_http

from schemas import CLOUDEVENTS_JSON, Envelope

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_our_content_type_is_the_sdks_structured_json_type() -> None:
    assert JSONFormat().get_content_type() == CLOUDEVENTS_JSON


def test_the_sdk_reads_every_attribute_and_extension_we_write() -> None:
    ours = Envelope(
        id="evt-1",
        source="/adapters/population-register",
        type="civic.person",
        subject="case-17",
        time=datetime(2024, 5, 1, 12, 0, 30, 250000, tzinfo=UTC),
        dataschema="urn:civicbus:schema:civic.person:1",
        data={"person_id": "38001010000", "children": [{"name": "Mari"}]},
        correlationid="case-17",
        causationid="evt-0",
        traceparent=TRACEPARENT,
        partitionkey="district7",
    )

    theirs = JSONFormat().read(None, ours.to_json())

    assert (theirs.get_attributes(), theirs.get_data()) == (
        {
            "specversion": "1.0",
            "id": "evt-1",
            "source": "/adapters/population-register",
            "type": "civic.person",
            "subject": "case-17",
            "time": datetime(2024, 5, 1, 12, 0, 30, 250000, tzinfo=UTC),
            "datacontenttype": "application/json",
            "dataschema": "urn:civicbus:schema:civic.person:1",
            "correlationid": "case-17",
            "causationid": "evt-0",
            "traceparent": TRACEPARENT,
            "partitionkey": "district7",
        },
        {"person_id": "38001010000", "children": [{"name": "Mari"}]},
    )


def test_we_read_every_attribute_and_extension_the_sdk_writes() -> None:
    theirs = CloudEvent(
        {
            "id": "evt-2",
            "source": "https://register.example.org/events",
            "type": "org.example.person.moved",
            "subject": "case-18",
            "time": datetime(2024, 5, 2, 8, 15, tzinfo=UTC),
            "datacontenttype": "application/json",
            "dataschema": "https://register.example.org/schemas/moved.json",
            "correlationid": "case-18",
            "causationid": "evt-1",
            "traceparent": TRACEPARENT,
            "region": "north",
        },
        {"street": "Kerkstraat 1", "since": "2024-05-01"},
    )

    ours = Envelope.from_json(JSONFormat().write(theirs))

    assert ours == Envelope(
        id="evt-2",
        source="https://register.example.org/events",
        type="org.example.person.moved",
        subject="case-18",
        time=datetime(2024, 5, 2, 8, 15, tzinfo=UTC),
        dataschema="https://register.example.org/schemas/moved.json",
        data={"street": "Kerkstraat 1", "since": "2024-05-01"},
        correlationid="case-18",
        causationid="evt-1",
        traceparent=TRACEPARENT,
        region="north",
    )


def test_binary_data_crosses_both_ways() -> None:
    scan = b"%PDF-1.7\x00\xff"
    theirs = CloudEvent({"source": "/scanner", "type": "civic.scan"}, scan)

    ours = Envelope.from_json(JSONFormat().write(theirs))
    back = JSONFormat().read(None, ours.to_json())

    assert (ours.data, back.get_data()) == (scan, scan)


def test_the_sdks_v1_api_reads_what_we_write() -> None:
    ours = Envelope(
        source="/adapters/population-register",
        type="civic.person",
        data={"person_id": "38001010000"},
        traceparent=TRACEPARENT,
        partitionkey="district7",
    )

    theirs = v1_http.from_json(ours.to_json())

    # The v1 API keeps every attribute as the string it read, time included.
    assert {**theirs.get_attributes(), "data": theirs.data} == ours.to_dict()


def test_we_read_what_the_sdks_v1_api_writes() -> None:
    theirs = v1_http.CloudEvent(
        {"id": "evt-3", "source": "/s", "type": "org.example.t", "correlationid": "case-19"},
        {"x": 1},
    )

    ours = Envelope.from_json(v1_conversion.to_json(theirs))

    assert (ours.id, ours.correlationid, ours.data) == ("evt-3", "case-19", {"x": 1})
