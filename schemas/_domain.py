"""Two small canonical messages of the public-sector demo: a person, and their change of address."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from schemas._operation import OPERATION_ERROR_TYPE, OperationError
from schemas._personal import Personal
from schemas._registry import SchemaRegistry

# Unknown fields are refused so a typo or a stale producer is a clear error, not silent loss.
_CANONICAL = ConfigDict(extra="forbid", frozen=True)

NationalId = Annotated[str, Personal(), Field(min_length=1, max_length=32)]
PersonalName = Annotated[str, Personal(), Field(min_length=1, max_length=200)]


class Address(BaseModel):
    """A postal address. Street and postal code identify a household, so they are personal."""

    model_config = _CANONICAL

    street: Annotated[str, Personal(), Field(min_length=1, max_length=200)]
    postal_code: Annotated[str, Personal(), Field(min_length=1, max_length=10)]
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(default="NL", pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


class Person(BaseModel):
    """A resident as the population register knows them."""

    model_config = _CANONICAL

    person_id: NationalId = Field(description="national identification number")
    given_name: PersonalName
    family_name: PersonalName
    birth_date: Annotated[date, Personal()]
    address: Address | None = None


class AddressChanged(BaseModel):
    """A resident registered a new address, valid from ``effective_date``."""

    model_config = _CANONICAL

    person_id: NationalId = Field(description="national identification number")
    address: Address
    effective_date: date
    reason: str | None = Field(default=None, max_length=500)


def default_registry() -> SchemaRegistry:
    """A new registry holding the demo's messages; each caller gets its own to extend."""
    registry = SchemaRegistry()
    registry.register(
        Person, type="civic.person", version=1, description="A resident of the municipality."
    )
    registry.register(
        AddressChanged,
        type="civic.person.address-changed",
        version=1,
        description="A resident's registered address changed.",
    )
    registry.register(
        OperationError,
        type=OPERATION_ERROR_TYPE,
        version=1,
        description="An operation call that ended without a result.",
    )
    return registry
