"""The demo's canonical messages: strict about unknown fields, registered by default."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas import Address, default_registry


def test_an_unknown_field_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Address.model_validate({"street": "s", "postal_code": "1", "city": "c", "flat": "2"})


def test_the_country_is_a_two_letter_code() -> None:
    with pytest.raises(ValidationError, match="country"):
        Address(street="Kerkstraat 1", postal_code="1011AB", city="Utrecht", country="nl")


def test_the_default_registry_holds_both_messages() -> None:
    assert default_registry().types() == [
        "civic.person",
        "civic.person.address-changed",
        "civicbus.operation.error",
    ]


def test_each_call_gets_its_own_registry() -> None:
    first = default_registry()
    first.register(Address, type="civic.address", version=1)

    assert "civic.address" not in default_registry()
