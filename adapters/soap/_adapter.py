"""The SOAP adapter kind: a WSDL's operations as bus operations, called with zeep."""

from __future__ import annotations

import difflib
from typing import Any
from urllib.parse import urlparse

import requests
import structlog
from pydantic import BaseModel
from zeep.proxy import ServiceProxy

from adapters import Adapter, AdapterConfigError, Health, Operation, kebab_case
from adapters.soap._call import SoapCall
from adapters.soap._config import SoapConfig
from adapters.soap._loading import SelectedPort, build_session, load_client, select_port
from adapters.soap._mapping import CanonicalMapper, canonical_model
from adapters.soap._models import message_model

log = structlog.get_logger("civicbus.adapter.soap")

# Reads by naming convention; `operations.<name>.idempotent` overrides per operation.
IDEMPOTENT_PREFIXES = ("get", "find", "list", "search", "query", "read", "check", "test", "say")


def is_idempotent_name(name: str) -> bool:
    return name.lower().startswith(IDEMPOTENT_PREFIXES)


class SoapAdapter(Adapter[SoapConfig]):
    """Wraps one SOAP service: every operation of the selected port becomes an Operation."""

    kind = "soap"
    config_model = SoapConfig

    def __init__(self, name: str, config: SoapConfig) -> None:
        super().__init__(name, config)
        self._operations: list[Operation] = []
        self._client: Any = None
        self._port: SelectedPort | None = None
        self.address: str | None = None

    def start(self) -> None:
        client = load_client(self.config, self.name)
        port = select_port(client, self.config, self.name)
        address = self._address(port)
        # The binding may live in an imported document (the zeep recursive-import fixture),
        # where client.create_service() cannot find it by name: bind to the object itself.
        service = ServiceProxy(client, port.binding, address=address)
        operations = [
            self._operation(service, port, wsdl_name, address)
            for wsdl_name in port.binding._operations
        ]
        self._check_overrides({op.name for op in operations})
        self._client, self._port, self.address = client, port, address
        self._operations = operations
        log.info(
            "soap_adapter_started",
            adapter=self.name,
            service=port.service,
            port=port.port,
            soap_version=port.soap_version,
            endpoint=address,
            operations=len(operations),
        )

    def stop(self) -> None:
        if self._client is not None:
            self._client.transport.session.close()
        self._client = None
        self._operations = []

    def health(self) -> Health:
        if self.address is None:
            return Health(False, f"{self.name} is not started; call start() first")
        with build_session(self.config) as session:
            try:
                reply = session.get(self.address, timeout=self.config.connect_timeout)
            except requests.RequestException as exc:
                return Health(False, f"{self.address} unreachable: {type(exc).__name__}")
        # A SOAP endpoint may refuse a GET (405) and still be up; 5xx means it is not.
        ok = reply.status_code < 500
        return Health(ok, f"{self.address} answered HTTP {reply.status_code}")

    def operations(self) -> list[Operation]:
        return list(self._operations)

    @property
    def port(self) -> SelectedPort | None:
        """The service and port chosen at start, with its SOAP version."""
        return self._port

    def _address(self, port: SelectedPort) -> str:
        address = self.config.endpoint or port.address
        parsed = urlparse(address or "")
        if parsed.scheme not in ("http", "https") or not parsed.netloc or "${" in (address or ""):
            source = "`endpoint`" if self.config.endpoint else "the WSDL's soap:address"
            raise AdapterConfigError(
                f"adapters.{self.name}: {source} {address!r} of port {port.port} is not a "
                "usable http(s) URL (an unexpanded build placeholder?); set "
                f"adapters.{self.name}.endpoint to the service's real URL"
            )
        return address or ""

    def _operation(
        self, service: Any, port: SelectedPort, wsdl_name: str, address: str
    ) -> Operation:
        zeep_op = port.binding._operations[wsdl_name]
        name = kebab_case(wsdl_name)
        override = self.config.operations.get(name)
        request, request_shape = message_model(
            f"{wsdl_name}Request", zeep_op.input, with_header=True
        )
        response, response_shape = message_model(
            f"{wsdl_name}Response", zeep_op.output, with_header=False
        )
        if zeep_op.output is None:
            log.info("soap_one_way_operation", adapter=self.name, operation=name)
        mapper = None
        public_request: type[BaseModel] = request
        public_response: type[BaseModel] = response
        canonical = override.canonical if override else None
        if canonical is not None:
            where = f"adapters.{self.name}.operations.{name}.canonical"
            mapper = CanonicalMapper(name, canonical)
            if canonical.request_type:
                public_request = canonical_model(canonical.request_type, where)
            if canonical.response_type:
                public_response = canonical_model(canonical.response_type, where)
        idempotent = is_idempotent_name(wsdl_name)
        if override is not None and override.idempotent is not None:
            idempotent = override.idempotent
        call = SoapCall(
            service=service,
            operation=wsdl_name,
            where=f"{self.name} at {address}",
            request_shape=request_shape,
            response_shape=response_shape,
            wsdl_request=request,
            response=public_response,
            static_headers=self.config.headers,
            mapper=mapper,
        )
        doc = getattr(getattr(zeep_op, "abstract", None), "wsdl_documentation", None) or ""
        return Operation(
            name=name,
            request=public_request,
            response=public_response,
            invoke=call,
            description=str(doc).strip() or f"SOAP {wsdl_name}",
            idempotent=idempotent,
        )

    def _check_overrides(self, names: set[str]) -> None:
        for configured in self.config.operations:
            if configured not in names:
                close = difflib.get_close_matches(configured, names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise AdapterConfigError(
                    f"adapters.{self.name}.operations.{configured}: the WSDL has no such "
                    f"operation{hint} It has: {', '.join(sorted(names))}"
                )
