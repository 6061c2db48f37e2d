"""Declarative and function mappings between WSDL data and canonical data."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import AdapterConfigError
from adapters.soap import CanonicalMapping
from adapters.soap._mapping import CanonicalMapper


def test_request_paths_map_canonical_to_wsdl() -> None:
    mapper = CanonicalMapper(
        "get-person",
        CanonicalMapping(request_fields={"person.id": "person_id"}),
    )

    assert mapper.request({"person": {"id": "7"}}) == {"person_id": "7"}


def test_response_paths_map_wsdl_to_canonical_including_nested() -> None:
    mapper = CanonicalMapper(
        "get-person",
        CanonicalMapping(
            response_fields={"name": "person.given_name", "address.city": "person.address.city"}
        ),
    )
    wsdl = {"person": {"given_name": "Aino", "address": {"city": "Helsinki"}}}

    assert mapper.response(wsdl) == {"name": "Aino", "address": {"city": "Helsinki"}}


def test_absent_source_leaves_the_target_out() -> None:
    mapper = CanonicalMapper("op", CanonicalMapping(response_fields={"x": "missing.path"}))

    assert mapper.response({}) == {}


def shout(direction: str, data: dict[str, Any]) -> dict[str, Any]:
    return {direction: {k: str(v).upper() for k, v in data.items()}}


def test_mapper_function_is_used_both_ways() -> None:
    mapper = CanonicalMapper("op", CanonicalMapping(mapper=f"{__name__}:shout"))

    assert mapper.response({"a": "b"}) == {"response": {"a": "B"}}


def test_unimportable_mapper_is_a_config_error() -> None:
    with pytest.raises(AdapterConfigError, match=r"cannot import 'nowhere.at_all:fn'"):
        CanonicalMapper("op", CanonicalMapping(mapper="nowhere.at_all:fn"))
