"""The SOAP kind keeps the adapter contract against the spyne population register, directly
and through the bus on both brokers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from adapters.testing import BusContract, LegacyControl, SampleCall
from examples.legacy.population_register import RunningRegister, start_population_register

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def population_register() -> Iterator[RunningRegister]:
    server, _url = start_population_register()
    yield server
    server.stop()


class TestSoapContract(BusContract):
    instance_name = "population-register"
    timeout = 0.5  # zeep parses the WSDL and the reply in the time budget too

    @pytest.fixture
    def adapter_config(
        self, population_register: RunningRegister, tmp_path: Path
    ) -> dict[str, Any]:
        # Vendored, as a deployment should: the adapter starts while the register is down.
        wsdl = tmp_path / "population-register.wsdl"
        wsdl.write_bytes(requests.get(f"{population_register.url}?wsdl", timeout=10).content)
        return {
            "kind": "soap",
            "wsdl": str(wsdl),
            "endpoint": population_register.url,
            "connect_timeout": 0.5,
        }

    @pytest.fixture
    def legacy(self, population_register: RunningRegister) -> LegacyControl:
        return population_register

    @pytest.fixture
    def sample_call(self) -> SampleCall:
        return SampleCall(
            "get-person",
            {"person_id": "010101-0001"},
            check=lambda reply: _assert_city(reply, "Helsinki"),
        )

    @pytest.fixture(params=["embedded", "rabbitmq"])
    def contract_broker_url(self, request: pytest.FixtureRequest, tmp_path: Path) -> str:
        if request.param == "rabbitmq":
            return str(request.getfixturevalue("rabbitmq_url"))
        return f"embedded:///{tmp_path / 'broker.db'}"

    def slow_serving_config(
        self, config: dict[str, Any], legacy: LegacyControl, latency: float
    ) -> dict[str, Any]:
        # The register is its own server: slowing it slows whichever process calls it.
        legacy.make_slow(latency)
        return config


def _assert_city(reply: dict[str, Any], city: str) -> None:
    assert reply["person"]["address"]["city"] == city
