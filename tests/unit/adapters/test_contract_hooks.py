"""The contract kit's small parts: the time bound on legacy calls and the sample check."""

from __future__ import annotations

import threading

import pytest

import adapters.testing as testing_api
from adapters.example import Register
from adapters.testing import Hung, LegacyControl, SampleCall, bounded


def test_a_call_that_outlives_its_bound_fails_the_test_instead_of_hanging() -> None:
    release = threading.Event()
    try:
        with pytest.raises(Hung, match="timeout"):
            bounded(release.wait, within=0.05, what="a stuck call")
    finally:
        release.set()


def test_a_bounded_call_hands_back_its_exception() -> None:
    def refuse() -> None:
        raise ConnectionRefusedError("down")

    with pytest.raises(ConnectionRefusedError):
        bounded(refuse, within=5, what="a refused call")


def test_a_reply_missing_an_expected_value_fails_the_sample_check() -> None:
    sample = SampleCall("get-record", {"key": "1"}, expect={"value": "one"})
    with pytest.raises(AssertionError, match="value"):
        sample.verify({"key": "1", "value": "two"})


def test_the_example_register_is_a_legacy_control() -> None:
    assert isinstance(Register(), LegacyControl)


def test_the_kit_exports_exactly_its_public_names() -> None:
    assert sorted(testing_api.__all__) == [
        "AdapterContract",
        "BusContract",
        "Hung",
        "LegacyControl",
        "SampleCall",
        "bounded",
        "registered_kind",
    ]
