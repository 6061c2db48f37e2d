"""The example configuration shipped in examples/ is one civicbus accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bus import load_settings

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "civicbus.rabbitmq.yaml"


def test_rabbitmq_example_config_loads(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CIVICBUS_CONFIG", raising=False)
    settings = load_settings(EXAMPLE)
    assert (settings.broker, settings.retry.max_deliveries, settings.journal_url) == (
        "amqp://guest:guest@127.0.0.1:5672//",
        5,
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
