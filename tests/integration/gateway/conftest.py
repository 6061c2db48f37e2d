"""A worker process's bus serving the SOAP population register, and a gateway on a second
bus that knows the operations only from the shared catalog, served by a real uvicorn on a
free loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from adapters import AdapterHost
from adapters.soap import SoapAdapter, SoapConfig
from bus import Bus
from bus._gateway import ClientStore, Gateway, GatewayServer
from examples.legacy.population_register import RunningRegister, start_population_register

GET_PERSON = "population-register.get-person"
CHANGE_ADDRESS = "population-register.change-address"


@pytest.fixture
def register() -> Iterator[RunningRegister]:
    server, _url = start_population_register()
    yield server
    server.stop()


@pytest.fixture
def worker(bus_factory: Callable[..., Bus], register: RunningRegister) -> Iterator[Bus]:
    bus = bus_factory()
    config = SoapConfig(wsdl=f"{register.url}?wsdl", timeout=2.0, retry={"attempts": 1})
    host = AdapterHost(bus, [SoapAdapter("population-register", config)])
    host.start()
    bus.start()
    assert bus.wait_ready(30)
    yield bus
    host.stop()


@dataclass
class RunningGateway:
    bus: Bus
    url: str
    clients: ClientStore
    served: Gateway
    worker: Bus  # the bus of the process that hosts the adapters and publishes events

    def client(self, name: str, *grants: tuple[str, str], **options: Any) -> str:
        """A new client with these (kind, name) grants; returns its API key."""
        key = self.clients.add(name, **options)
        for kind, target in grants:
            self.clients.grant(name, kind, target)  # type: ignore[arg-type]
        return key

    def http(self, key: str | None = None, **headers: str) -> httpx.Client:
        if key is not None:
            headers["X-API-Key"] = key
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@pytest.fixture
def gateway_settings() -> dict[str, Any]:
    """Overrides of the gateway's settings; a test module may redefine this fixture."""
    return {"call_timeout": 10.0}


@pytest.fixture
def gateway(
    bus_factory: Callable[..., Bus], worker: Bus, gateway_settings: dict[str, Any]
) -> Iterator[RunningGateway]:
    bus = bus_factory(gateway=gateway_settings)
    served = Gateway(bus, client_cache_seconds=0)
    server = GatewayServer(served.app, host="127.0.0.1", port=0)
    served.start()
    server.start()
    clients = ClientStore(bus.settings.state)
    yield RunningGateway(bus=bus, url=server.url, clients=clients, served=served, worker=worker)
    server.stop()
    served.close()
    clients.close()
