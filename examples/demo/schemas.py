"""The demo's own canonical messages, registered through the `schemas:` setting
(`examples.demo.schemas:register`) — the way a deployment adds its types."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from schemas import Personal, SchemaRegistry

_CANONICAL = ConfigDict(extra="forbid", frozen=True)

PersonId = Annotated[str, Personal(), Field(min_length=1, max_length=32)]
Street = Annotated[str, Personal(), Field(min_length=1, max_length=40)]
PostalCode = Annotated[str, Personal(), Field(min_length=1, max_length=10)]
City = Annotated[str, Field(min_length=1, max_length=30)]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]


class AddressChangeRequest(BaseModel):
    """What a citizen fills in on the portal's change-of-address form. The intake adapter
    publishes it as `civic.person.address-change-requested`."""

    model_config = _CANONICAL

    person_id: PersonId = Field(description="national identification number")
    street: Street
    postal_code: PostalCode
    city: City
    country: Country
    effective_date: date


class TaxAddressRecord(BaseModel):
    """One line of the tax office's address batch file (its fixed-width layout is flat)."""

    model_config = _CANONICAL

    person_id: PersonId
    street: Street
    postal_code: PostalCode
    city: City
    country: Country


class TaxAddressBatch(BaseModel):
    """The address changes gathered for the tax office's next batch file."""

    model_config = _CANONICAL

    key: str
    count: int = Field(ge=1)
    parts: list[TaxAddressRecord] = Field(min_length=1)


def register(registry: SchemaRegistry) -> None:
    registry.register(
        TaxAddressRecord,
        type="civic.tax-office.address-record",
        version=1,
        description="A changed address as one record of the tax office's batch file.",
    )
    registry.register(
        TaxAddressBatch,
        type="civic.tax-office.address-batch",
        version=1,
        description="Changed addresses gathered for the tax office's next batch file.",
    )
