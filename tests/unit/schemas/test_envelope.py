"""The CloudEvents envelope: what it keeps, what it refuses, and how it reads off the wire."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from schemas import Envelope, InvalidMessage

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _envelope(**attributes: object) -> Envelope:
    return Envelope(source="/adapters/population-register", type="civic.person", **attributes)


def _wire(**attributes: object) -> bytes:
    event = {
        "specversion": "1.0",
        "id": "evt-1",
        "source": "/adapters/population-register",
        "type": "civic.person",
        **attributes,
    }
    return json.dumps(event).encode()


def _locations(error: InvalidMessage) -> set[str]:
    return {problem.location for problem in error.problems}


def test_an_envelope_survives_the_wire_unchanged() -> None:
    sent = _envelope(
        subject="case-17",
        dataschema="urn:civicbus:schema:civic.person:1",
        data={"person_id": "38001010000", "tags": ["a", 1, None, 2.5, True]},
        causationid="evt-0",
        traceparent=TRACEPARENT,
        partitionkey="district7",
    )

    assert Envelope.from_json(sent.to_json()) == sent


def test_binary_data_travels_as_data_base64_and_comes_back_as_bytes() -> None:
    sent = _envelope(data=b"\x00\xffscan.pdf")

    wire = json.loads(sent.to_json())

    assert (wire["data_base64"], Envelope.from_json(sent.to_json()).data) == (
        "AP9zY2FuLnBkZg==",
        b"\x00\xffscan.pdf",
    )


def test_data_base64_on_the_wire_is_read_as_binary_data() -> None:
    received = Envelope.from_json(_wire(data_base64="aGVsbG8="))

    assert received.data == b"hello"


def test_the_correlation_id_defaults_to_the_events_own_id() -> None:
    envelope = _envelope()

    assert envelope.correlationid == envelope.id


def test_an_aware_time_in_another_zone_is_stored_in_utc() -> None:
    helsinki = timezone(timedelta(hours=2))

    envelope = _envelope(time=datetime(2024, 5, 1, 14, 0, tzinfo=helsinki))

    assert envelope.time == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert envelope.time.utcoffset() == timedelta(0)


def test_time_is_written_in_rfc3339_with_z() -> None:
    envelope = _envelope(time=datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC))

    assert json.loads(envelope.to_json())["time"] == "2024-05-01T12:00:30Z"


def test_an_offset_time_on_the_wire_is_read_as_utc() -> None:
    received = Envelope.from_json(_wire(time="2024-05-01T14:00:00+02:00"))

    assert received.time == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(InvalidMessage) as caught:
        Envelope.from_json(_wire(time="2024-05-01T12:00:00"))

    assert _locations(caught.value) == {"time"}


def test_a_naive_time_is_refused_by_the_constructor_too() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        _envelope(time=datetime(2024, 5, 1, 12, 0))  # a naive time, on purpose


def test_absent_attributes_are_left_out_of_the_json() -> None:
    wire = json.loads(_envelope().to_json())

    assert {"subject", "dataschema", "causationid", "traceparent", "data"}.isdisjoint(wire)


@pytest.mark.parametrize(
    "traceparent",
    [
        "not-a-trace",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ],
)
def test_a_malformed_traceparent_is_refused(traceparent: str) -> None:
    with pytest.raises(InvalidMessage) as caught:
        Envelope.from_json(_wire(traceparent=traceparent))

    assert _locations(caught.value) == {"traceparent"}


def test_unknown_extensions_with_valid_names_are_kept() -> None:
    received = Envelope.from_json(_wire(partitionkey="district7", sequence=42))

    assert received.model_extra == {"partitionkey": "district7", "sequence": 42}


@pytest.mark.parametrize("name", ["Partition", "partition_key", "a" * 21, "trace-id"])
def test_an_extension_with_a_bad_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidMessage) as caught:
        Envelope.from_json(_wire(**{name: "x"}))

    assert _locations(caught.value) == {name}


def test_an_extension_holding_an_object_is_refused() -> None:
    with pytest.raises(InvalidMessage) as caught:
        Envelope.from_json(_wire(audit={"by": "clerk"}))

    assert _locations(caught.value) == {"audit"}


def test_a_body_over_the_limit_is_refused_before_it_is_parsed() -> None:
    # Not even JSON: the size check must come first, or a huge body would be parsed.
    oversized = b"x" * 1025

    with pytest.raises(InvalidMessage, match="over the 1024-byte limit"):
        Envelope.from_json(oversized, max_bytes=1024)


def test_a_body_within_the_limit_is_read() -> None:
    raw = _wire()

    assert Envelope.from_json(raw, max_bytes=len(raw)).id == "evt-1"


def test_latin1_bytes_are_refused_as_not_utf8() -> None:
    latin1 = _wire().replace(b'"evt-1"', '"Müller"'.encode("latin-1"))

    with pytest.raises(InvalidMessage, match="not UTF-8"):
        Envelope.from_json(latin1)


def test_utf8_text_is_read_as_is() -> None:
    raw = _wire().replace(b'"evt-1"', '"évènement-1"'.encode())

    assert Envelope.from_json(raw).id == "évènement-1"


def test_invalid_json_is_refused() -> None:
    with pytest.raises(InvalidMessage, match="not JSON"):
        Envelope.from_json(b'{"specversion": "1.0",')


def test_nan_is_refused_because_it_is_not_json() -> None:
    with pytest.raises(InvalidMessage, match="not JSON"):
        Envelope.from_json(_wire().replace(b"}", b', "data": NaN}'))


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deeply_nested_data_is_refused_not_a_crash(depth: int) -> None:
    nested = b"[" * depth + b"]" * depth

    with pytest.raises(InvalidMessage, match="nested"):
        Envelope.from_json(_wire().replace(b"}", b', "data": ' + nested + b"}"))


def test_a_json_array_is_refused() -> None:
    with pytest.raises(InvalidMessage, match="expected a JSON object, got list"):
        Envelope.from_json(b"[1, 2]")


def test_a_wrong_specversion_is_refused() -> None:
    with pytest.raises(InvalidMessage) as caught:
        Envelope.from_json(_wire(specversion="0.3"))

    assert _locations(caught.value) == {"specversion"}


def test_required_attributes_missing_on_the_wire_are_each_named() -> None:
    with pytest.raises(InvalidMessage) as caught:
        Envelope.from_json(b'{"source": "/x"}')

    assert _locations(caught.value) == {"specversion", "id", "type"}


def test_one_error_names_every_offending_attribute() -> None:
    raw = _wire(source="not a uri", traceparent="nope")

    with pytest.raises(InvalidMessage) as caught:
        Envelope.from_json(raw)

    assert "source: " in str(caught.value)
    assert "traceparent: " in str(caught.value)


def test_data_that_is_not_json_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"data.when is a datetime"):
        _envelope(data={"when": datetime.now(UTC)})


def test_from_dict_reads_what_to_dict_writes() -> None:
    sent = _envelope(data=[1, 2, 3], subject="s")

    assert Envelope.from_dict(sent.to_dict()) == sent


def test_a_caused_event_continues_the_story() -> None:
    cause = _envelope(correlationid="case-17", traceparent=TRACEPARENT)

    effect = cause.caused(type="civic.person.address-changed", source="/routes/relocation")

    assert (effect.correlationid, effect.causationid, effect.traceparent) == (
        "case-17",
        cause.id,
        TRACEPARENT,
    )
    assert effect.id != cause.id


def test_an_envelope_is_frozen() -> None:
    envelope = _envelope()

    with pytest.raises(ValidationError):
        envelope.subject = "changed"  # type: ignore[misc]
