"""Watermarks kept in a database civicbus owns, with their types intact."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from adapters.sql import WatermarkStore


def test_a_saved_position_comes_back_with_its_types(tmp_path: Path):
    store = WatermarkStore(f"sqlite:///{tmp_path / 'new-folder' / 'state.db'}")
    position = (datetime(2024, 1, 2, 3, 4, 5), 7, Decimal("1.50"), "TLN")

    store.save("benefits", "cases", (1,))
    store.save("benefits", "cases", position)

    assert store.load("benefits", "cases") == position
    store.close()
