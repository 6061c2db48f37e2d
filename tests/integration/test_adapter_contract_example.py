"""The example adapter kind keeps the adapter contract, directly and through the bus on both
brokers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters import Adapter
from adapters.example import ExampleAdapter
from adapters.testing import BusContract, LegacyControl, SampleCall

pytestmark = pytest.mark.timeout(120)


class TestExampleContract(BusContract):
    @pytest.fixture
    def adapter_config(self) -> dict[str, Any]:
        return {"kind": "example", "seed": {"38001085718": "Mari Maasikas"}}

    @pytest.fixture
    def legacy(self, adapter: Adapter[Any]) -> LegacyControl:
        assert isinstance(adapter, ExampleAdapter)
        return adapter.register

    @pytest.fixture
    def sample_call(self) -> SampleCall:
        return SampleCall(
            "get-record",
            {"key": "38001085718"},
            expect={"key": "38001085718", "value": "Mari Maasikas"},
        )

    @pytest.fixture(params=["embedded", "rabbitmq"])
    def contract_broker_url(self, request: pytest.FixtureRequest, tmp_path: Path) -> str:
        if request.param == "rabbitmq":
            return str(request.getfixturevalue("rabbitmq_url"))
        return f"embedded:///{tmp_path / 'broker.db'}"

    def slow_serving_config(
        self, config: dict[str, Any], legacy: LegacyControl, latency: float
    ) -> dict[str, Any]:
        # The register lives inside the adapter's process: the serving process's own
        # register is made slow through its config.
        return {**config, "latency": latency}
