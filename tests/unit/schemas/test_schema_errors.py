"""The errors say which field is wrong and what to do, and survive a trip between processes."""

from __future__ import annotations

import pickle

import pytest

from schemas import FieldProblem, IncompatibleSchema, InvalidMessage, UnknownSchema


def test_an_invalid_message_names_each_field_with_its_message() -> None:
    error = InvalidMessage(
        [
            FieldProblem("data.postal_code", "String should have at most 10 characters"),
            FieldProblem("type", "Field required"),
        ]
    )

    assert str(error) == (
        "invalid message: data.postal_code: String should have at most 10 characters; "
        "type: Field required"
    )


def test_an_unknown_schema_is_an_invalid_message() -> None:
    assert issubclass(UnknownSchema, InvalidMessage)


@pytest.mark.parametrize(
    "error",
    [
        InvalidMessage([FieldProblem("type", "Field required")]),
        UnknownSchema([FieldProblem("type", "unknown")], type="civic.x", known=["civic.y"]),
        IncompatibleSchema(["age: field removed"], type="civic.person", version=2),
    ],
    ids=["invalid", "unknown", "incompatible"],
)
def test_errors_pickle_with_their_details(error: ValueError) -> None:
    copy = pickle.loads(pickle.dumps(error))

    assert (type(copy), str(copy), vars(copy)) == (type(error), str(error), vars(error))


def test_an_incompatible_schema_says_what_to_do() -> None:
    error = IncompatibleSchema(["age: field removed"], type="civic.person", version=2)

    assert str(error).startswith("civic.person v2 is incompatible with v1: age: field removed.")
    assert "optional with a default" in str(error)
