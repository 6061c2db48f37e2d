"""The schema registry: versions in order, reading and upcasting, envelopes, masking, export."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ConfigDict

from schemas import (
    MASKED,
    Address,
    Envelope,
    InvalidMessage,
    Person,
    Personal,
    SchemaRegistry,
    UnknownSchema,
    default_registry,
)

SOURCE = "/adapters/population-register"


class NameV1(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full_name: Annotated[str, Personal()]


class NameV2(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full_name: Annotated[str, Personal()]
    family_name: Annotated[str | None, Personal()] = None


class NameV3(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full_name: Annotated[str, Personal()]
    family_name: Annotated[str | None, Personal()] = None
    display: str = ""


def _split_family_name(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "family_name": data["full_name"].rsplit(" ", 1)[-1]}


def _add_display(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "display": f"{data['family_name']}, {data['full_name']}"}


def _name_registry() -> SchemaRegistry:
    registry = SchemaRegistry()
    registry.register(NameV1, type="civic.name", version=1)
    registry.register(NameV2, type="civic.name", version=2, upcast=_split_family_name)
    registry.register(NameV3, type="civic.name", version=3, upcast=_add_display)
    return registry


def _anna() -> Person:
    return Person(
        person_id="38001010000",
        given_name="Anna",
        family_name="Tamm",
        birth_date=date(1980, 1, 1),
        address=Address(street="Kerkstraat 1", postal_code="1011AB", city="Utrecht"),
    )


def test_get_without_a_version_returns_the_latest() -> None:
    registry = _name_registry()

    assert registry.get("civic.name").model is NameV3


def test_get_with_a_version_returns_that_version() -> None:
    registry = _name_registry()

    assert registry.get("civic.name", 1).model is NameV1


def test_types_and_versions_list_what_is_registered() -> None:
    registry = _name_registry()

    assert (registry.types(), registry.versions("civic.name")) == (["civic.name"], [1, 2, 3])
    assert "civic.name" in registry
    assert "civic.nickname" not in registry


def test_an_unknown_type_suggests_the_near_one_and_lists_the_known() -> None:
    registry = default_registry()

    with pytest.raises(UnknownSchema) as caught:
        registry.get("civic.persn")

    assert "did you mean 'civic.person'?" in str(caught.value)
    assert "civic.person.address-changed" in str(caught.value)


def test_an_unknown_version_lists_the_known_versions() -> None:
    registry = _name_registry()

    with pytest.raises(UnknownSchema, match="known versions: v1, v2, v3"):
        registry.get("civic.name", 7)


def test_versions_must_be_registered_in_order() -> None:
    registry = SchemaRegistry()
    registry.register(NameV1, type="civic.name", version=1)

    with pytest.raises(ValueError, match="register v2 next"):
        registry.register(NameV3, type="civic.name", version=3)


def test_the_same_version_twice_is_refused_for_a_different_model() -> None:
    registry = SchemaRegistry()
    registry.register(NameV1, type="civic.name", version=1)

    with pytest.raises(ValueError, match="already registered"):
        registry.register(NameV2, type="civic.name", version=1)


def test_the_same_version_twice_is_accepted_for_the_same_model() -> None:
    registry = SchemaRegistry()
    first = registry.register(NameV1, type="civic.name", version=1)

    assert registry.register(NameV1, type="civic.name", version=1) is first


@pytest.mark.parametrize(
    "name", ["Civic.Person", "civic.*", "civic.#", "civic person", "civic..person", "-civic", ""]
)
def test_a_type_name_that_cannot_be_a_routing_key_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="not a valid name"):
        SchemaRegistry().register(NameV1, type=name, version=1)


def test_a_hyphenated_dotted_type_name_is_accepted() -> None:
    entry = SchemaRegistry().register(NameV1, type="civic.person.name-changed2", version=1)

    assert entry.dataschema == "urn:civicbus:schema:civic.person.name-changed2:1"


def test_check_reports_without_registering() -> None:
    registry = SchemaRegistry()

    assert registry.check(NameV1, type="civic.name", version=2) == [
        "versions are registered in order; register v1 next"
    ]
    assert registry.types() == []


def test_reading_v1_data_upcasts_through_v2_and_v3() -> None:
    registry = _name_registry()
    old = Envelope(
        source=SOURCE,
        type="civic.name",
        dataschema="urn:civicbus:schema:civic.name:1",
        data={"full_name": "Anna Tamm"},
    )

    assert registry.read(old) == NameV3(
        full_name="Anna Tamm", family_name="Tamm", display="Tamm, Anna Tamm"
    )


def test_data_without_a_dataschema_is_read_as_the_latest_version() -> None:
    registry = _name_registry()
    latest = Envelope(source=SOURCE, type="civic.name", data={"full_name": "A", "display": "x"})

    assert registry.read(latest) == NameV3(full_name="A", display="x")


def test_read_names_every_invalid_field_under_data() -> None:
    registry = default_registry()
    envelope = Envelope(
        source=SOURCE,
        type="civic.person",
        data={"person_id": "1", "given_name": "Anna", "family_name": "Tamm", "birth_date": "x"},
    )

    with pytest.raises(InvalidMessage) as caught:
        registry.read(envelope)

    assert [problem.location for problem in caught.value.problems] == ["data.birth_date"]


def test_a_broken_upcast_surfaces_as_an_invalid_message() -> None:
    registry = SchemaRegistry()
    registry.register(NameV1, type="civic.name", version=1)
    registry.register(NameV2, type="civic.name", version=2, upcast=lambda data: {})
    old = Envelope(
        source=SOURCE,
        type="civic.name",
        dataschema="urn:civicbus:schema:civic.name:1",
        data={"full_name": "Anna Tamm"},
    )

    with pytest.raises(InvalidMessage, match=r"after upcast to civic\.name v2"):
        registry.read(old)


def test_a_dataschema_for_another_type_is_refused() -> None:
    registry = _name_registry()
    envelope = Envelope(
        source=SOURCE,
        type="civic.name",
        dataschema="urn:civicbus:schema:civic.person:1",
        data={"full_name": "A"},
    )

    with pytest.raises(InvalidMessage, match="dataschema: "):
        registry.validate(envelope)


def test_an_envelope_for_a_payload_names_its_type_and_schema() -> None:
    registry = default_registry()

    envelope = registry.envelope(_anna(), source=SOURCE, correlationid="case-17")

    assert (envelope.type, envelope.dataschema, envelope.correlationid) == (
        "civic.person",
        "urn:civicbus:schema:civic.person:1",
        "case-17",
    )
    assert registry.read(envelope) == _anna()


def test_an_envelope_for_an_unregistered_payload_is_refused() -> None:
    with pytest.raises(UnknownSchema, match="NameV1 is not a registered payload model"):
        default_registry().envelope(NameV1(full_name="A"), source=SOURCE)


def test_build_validates_the_data_first() -> None:
    registry = default_registry()
    data = {
        "person_id": "38001010000",
        "given_name": "Anna",
        "family_name": "Tamm",
        "birth_date": "1980-01-01",
        "address": {"street": "Kerkstraat 1", "postal_code": "1011 AB 1234", "city": "Utrecht"},
    }

    with pytest.raises(InvalidMessage, match=r"data\.address\.postal_code: String should have at"):
        registry.build("civic.person", data, source=SOURCE)


def test_build_fills_in_defaults_and_passes_attributes_on() -> None:
    registry = default_registry()
    data = {
        "person_id": "38001010000",
        "address": {"street": "Kerkstraat 1", "postal_code": "1011AB", "city": "Utrecht"},
        "effective_date": "2024-05-01",
    }

    envelope = registry.build("civic.person.address-changed", data, source=SOURCE, subject="c1")

    assert (envelope.subject, envelope.data["address"]["country"]) == ("c1", "NL")


def test_mask_hides_personal_data_per_the_schema() -> None:
    registry = default_registry()
    envelope = registry.envelope(_anna(), source=SOURCE)

    shown = registry.mask(envelope)

    assert shown["data"]["given_name"] == MASKED
    assert shown["data"]["address"]["city"] == "Utrecht"
    assert shown["id"] == envelope.id


def test_mask_with_reveal_shows_everything() -> None:
    registry = default_registry()
    envelope = registry.envelope(_anna(), source=SOURCE)

    assert registry.mask(envelope, reveal=True) == envelope.to_dict()


def test_mask_of_an_unknown_type_masks_every_string() -> None:
    envelope = Envelope(source=SOURCE, type="civic.unknown", data={"note": "secret", "n": 3})

    assert default_registry().mask(envelope)["data"] == {"note": MASKED, "n": 3}


def test_export_has_an_id_and_marks_personal_fields() -> None:
    exported = default_registry().export()

    person = exported["civic.person/v1"]
    assert person["$id"] == "urn:civicbus:schema:civic.person:1"
    assert person["x-civicbus-type"] == "civic.person"
    assert person["properties"]["given_name"]["x-personal"] is True
    assert set(exported) == {
        "civic.person/v1",
        "civic.person.address-changed/v1",
        "civicbus.operation.error/v1",
    }
