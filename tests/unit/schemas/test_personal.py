"""Personal data: which fields are marked, and how masking hides them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel

from schemas import MASKED, Address, Person, Personal, mask, personal_fields


class Child(BaseModel):
    name: Annotated[str, Personal()]
    school: str


class Household(BaseModel):
    household_id: str
    head: Person
    children: list[Child] = []
    phones: dict[str, Annotated[str, Personal()]] = {}
    notes: Any = None


class Family(BaseModel):
    name: Annotated[str, Personal()]
    relatives: list[Family] = []


HOUSEHOLD: dict[str, Any] = {
    "household_id": "H-7",
    "head": {
        "person_id": "38001010000",
        "given_name": "Anna",
        "family_name": "Tamm",
        "birth_date": "1980-01-01",
        "address": {
            "street": "Kerkstraat 1",
            "postal_code": "1011AB",
            "city": "Utrecht",
            "country": "NL",
        },
    },
    "children": [{"name": "Mari", "school": "De Regenboog"}],
    "phones": {"home": "+31 30 123 4567"},
    "notes": {"told_us": "moved in with her sister"},
}


def test_a_marked_field_says_so_in_its_json_schema() -> None:
    schema = Address.model_json_schema()

    assert schema["properties"]["street"]["x-personal"] is True
    assert "x-personal" not in schema["properties"]["city"]


def test_personal_fields_are_found_through_nested_models_lists_and_dicts() -> None:
    assert personal_fields(Household) == {
        "head.person_id",
        "head.given_name",
        "head.family_name",
        "head.birth_date",
        "head.address.street",
        "head.address.postal_code",
        "children[].name",
        "phones{}",
    }


def test_a_model_that_contains_itself_is_followed_once() -> None:
    assert personal_fields(Family) == {"name", "relatives[].name"}


def test_masking_hides_personal_values_at_every_depth_and_keeps_the_rest() -> None:
    masked = mask(HOUSEHOLD, Household)

    assert masked == {
        "household_id": "H-7",
        "head": {
            "person_id": MASKED,
            "given_name": MASKED,
            "family_name": MASKED,
            "birth_date": MASKED,
            "address": {
                "street": MASKED,
                "postal_code": MASKED,
                "city": "Utrecht",
                "country": "NL",
            },
        },
        "children": [{"name": MASKED, "school": "De Regenboog"}],
        "phones": {"home": MASKED},
        "notes": {"told_us": MASKED},
    }


def test_masking_returns_a_copy_and_leaves_the_payload_alone() -> None:
    payload = {"name": "Mari", "relatives": [{"name": "Jaan"}]}

    mask(payload, Family)

    assert payload == {"name": "Mari", "relatives": [{"name": "Jaan"}]}


def test_masking_a_recursive_model_follows_the_data() -> None:
    payload = {"name": "Mari", "relatives": [{"name": "Jaan", "relatives": [{"name": "Eva"}]}]}

    masked = mask(payload, Family)

    assert masked["relatives"][0]["relatives"][0]["name"] == MASKED


def test_an_empty_personal_field_stays_none() -> None:
    masked = mask({"street": None, "postal_code": "1011AB", "city": "Utrecht"}, Address)

    assert masked["street"] is None


def test_a_key_the_model_does_not_declare_is_masked() -> None:
    masked = mask({"city": "Utrecht", "bsn": "123456782"}, Address)

    assert masked == {"city": "Utrecht", "bsn": MASKED}


def test_reveal_returns_the_payload_unmasked_as_a_copy() -> None:
    revealed = mask(HOUSEHOLD, Household, reveal=True)

    assert revealed == HOUSEHOLD
    assert revealed is not HOUSEHOLD


def test_without_a_model_every_string_is_masked() -> None:
    masked = mask({"a": "x", "b": [1, "y", None], "c": {"d": True}}, None)

    assert masked == {"a": MASKED, "b": [1, MASKED, None], "c": {"d": True}}
