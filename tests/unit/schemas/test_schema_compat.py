"""A new version must read what the previous one wrote; each kind of break is refused."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from schemas import IncompatibleSchema, SchemaRegistry

_STRICT = ConfigDict(extra="forbid")


class Street(BaseModel):
    model_config = _STRICT
    name: str
    number: int


class Resident(BaseModel):
    model_config = _STRICT
    name: str
    age: int
    nickname: str | None = None
    street: Street
    status: Literal["active", "moved"] = "active"


def _refusal(new: type[BaseModel]) -> IncompatibleSchema:
    registry = SchemaRegistry()
    registry.register(Resident, type="civic.resident", version=1)
    with pytest.raises(IncompatibleSchema) as caught:
        registry.register(new, type="civic.resident", version=2)
    return caught.value


def test_a_removed_field_is_refused() -> None:
    class WithoutNickname(BaseModel):
        model_config = _STRICT
        name: str
        age: int
        street: Street
        status: Literal["active", "moved"] = "active"

    assert _refusal(WithoutNickname).problems == ["nickname: field removed"]


def test_a_changed_type_is_refused() -> None:
    class AgeAsText(BaseModel):
        model_config = _STRICT
        name: str
        age: str
        nickname: str | None = None
        street: Street
        status: Literal["active", "moved"] = "active"

    assert _refusal(AgeAsText).problems == ["age: type changed from integer to string"]


def test_a_changed_type_in_a_nested_model_is_refused() -> None:
    class TextNumberStreet(BaseModel):
        model_config = _STRICT
        name: str
        number: str

    class NestedChange(BaseModel):
        model_config = _STRICT
        name: str
        age: int
        nickname: str | None = None
        street: TextNumberStreet
        status: Literal["active", "moved"] = "active"

    assert _refusal(NestedChange).problems == ["street.number: type changed from integer to string"]


def test_a_new_required_field_is_refused() -> None:
    class WithEmail(BaseModel):
        model_config = _STRICT
        name: str
        age: int
        nickname: str | None = None
        street: Street
        status: Literal["active", "moved"] = "active"
        email: str

    assert _refusal(WithEmail).problems == ["email: new required field without a default"]


def test_an_optional_field_becoming_required_is_refused() -> None:
    class NicknameRequired(BaseModel):
        model_config = _STRICT
        name: str
        age: int
        nickname: str
        street: Street
        status: Literal["active", "moved"] = "active"

    assert _refusal(NicknameRequired).problems == [
        "nickname: was optional, now required",
        "nickname: no longer accepts null",
    ]


def test_a_dropped_enum_value_is_refused() -> None:
    class OnlyActive(BaseModel):
        model_config = _STRICT
        name: str
        age: int
        nickname: str | None = None
        street: Street
        status: Literal["active"] = "active"

    assert _refusal(OnlyActive).problems == ["status: no longer accepts 'moved'"]


def test_a_tightened_constraint_is_refused() -> None:
    class ShortName(BaseModel):
        model_config = _STRICT
        name: str = Field(max_length=20)
        age: int
        nickname: str | None = None
        street: Street
        status: Literal["active", "moved"] = "active"

    assert _refusal(ShortName).problems == ["name: maxLength tightened to 20"]


def test_every_break_is_named_in_one_error() -> None:
    class ManyBreaks(BaseModel):
        model_config = _STRICT
        name: int
        street: Street
        email: str

    message = str(_refusal(ManyBreaks))

    for problem in ("name: type changed", "age: field removed", "email: new required field"):
        assert problem in message
    assert "register the change under a new type name" in message


def test_an_optional_field_widening_and_a_new_enum_value_are_compatible() -> None:
    class Compatible(BaseModel):
        model_config = _STRICT
        name: str
        age: float
        nickname: str | None = None
        street: Street | None
        status: Literal["active", "moved", "deceased"] = "active"
        email: str | None = None

    registry = SchemaRegistry()
    registry.register(Resident, type="civic.resident", version=1)

    assert registry.register(Compatible, type="civic.resident", version=2).version == 2
