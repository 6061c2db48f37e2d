"""Legacy values coerced into payload fields."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from adapters.sql import FieldMapping, UnreadableValue, coerce


def test_char_padding_is_stripped():
    assert coerce("C1        ", FieldMapping(column="CASE_NO")) == "C1"


def test_a_text_date_in_a_legacy_format_becomes_a_date():
    mapping = FieldMapping(column="START_DT", type="date", formats=["%d.%m.%Y"])
    assert coerce("01.02.2003", mapping) == date(2003, 2, 1)


@pytest.mark.parametrize("sentinel", ["", "   ", "0000-00-00"])
def test_null_ish_sentinels_become_none(sentinel: str):
    assert coerce(sentinel, FieldMapping(column="START_DT", type="date")) is None


def test_latin1_bytes_are_decoded_with_the_configured_encoding():
    mapping = FieldMapping(column="NAME", encoding="latin-1")
    assert coerce("Jürgen".encode("latin-1"), mapping) == "Jürgen"


def test_a_decimal_with_a_comma_keeps_its_exact_value():
    assert coerce("120,50", FieldMapping(column="AMOUNT", type="decimal")) == Decimal("120.50")


def test_an_unparseable_date_says_which_formats_were_tried():
    mapping = FieldMapping(column="START_DT", type="date", formats=["%d.%m.%Y"])
    with pytest.raises(UnreadableValue, match="formats"):
        coerce("31/12/99", mapping)
