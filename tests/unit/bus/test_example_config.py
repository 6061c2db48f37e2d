"""The example configurations shipped in examples/ are ones civicbus accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters import adapter_kind
from bus import Settings, load_settings
from examples.demo._launcher import demo_settings

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "civicbus.rabbitmq.yaml"


def test_rabbitmq_example_config_loads(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CIVICBUS_CONFIG", raising=False)
    settings = load_settings(EXAMPLE)
    assert (settings.broker, settings.retry.max_deliveries, settings.journal_url) == (
        "amqp://guest:guest@127.0.0.1:5672//",
        5,
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )


def test_the_civic_demo_config_is_settings_and_adapter_configs_civicbus_accepts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.delenv("CIVICBUS_CONFIG", raising=False)
    fields = demo_settings("http://127.0.0.1:8123/", tmp_path)
    settings = Settings.model_validate(fields)

    assert [path.is_dir() for path in settings.routes] == [True]
    assert sorted(settings.adapters) == [
        "benefits-db",
        "population-register",
        "portal",
        "tax-office",
    ]
    for config in settings.adapters.values():
        adapter_kind(config["kind"]).config_model.model_validate(config)
    assert settings.adapters["population-register"]["wsdl"] == "http://127.0.0.1:8123/?wsdl"
    assert settings.adapters["benefits-db"]["url"] == f"sqlite:///{tmp_path.as_posix()}/benefits.db"
