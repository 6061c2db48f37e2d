"""Loading a WSDL offline and hardened, and picking the port to call.

Loading never reaches the network unless `allow_external` is set: the transport below is
the gate every WSDL/XSD document passes through, so it can answer vendored locations itself
(`schema_overrides`) and say which import needed the network. DTDs and entities are refused
by zeep's parser before anything they reference is read.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import requests
import structlog
import zeep
from zeep.cache import SqliteCache
from zeep.exceptions import (
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
    XMLSyntaxError,
)
from zeep.wsdl.bindings.soap import Soap12Binding, SoapBinding
from zeep.wsse.username import UsernameToken

from adapters import AdapterConfigError
from adapters.soap._config import SoapConfig

log = structlog.get_logger("civicbus.adapter.soap")

_NETWORK_SCHEMES = frozenset({"http", "https", "ftp"})


class _ExternalLoadRefused(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class _MissingDocument(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def _is_url(location: str) -> bool:
    return urlparse(location).scheme in _NETWORK_SCHEMES


def _origin(url: str) -> tuple[str, str]:
    parts = urlparse(url)
    return parts.scheme, parts.netloc


class OfflineTransport(zeep.Transport):  # type: ignore[misc]  # zeep is untyped
    """A zeep Transport that loads WSDL/XSD documents from disk, answers `overrides`
    (location -> local file) itself, and refuses other network locations unless allowed.

    Documents on the WSDL's own host are allowed when the WSDL itself is a URL: they are
    part of the same legacy system, which the adapter talks to anyway.
    """

    def __init__(
        self,
        *,
        wsdl: str,
        allow_external: bool = False,
        overrides: dict[str, Path] | None = None,
        cache: Any = None,
        load_timeout: float = 30.0,
        operation_timeout: Any = None,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(
            cache=cache,
            timeout=load_timeout,
            operation_timeout=operation_timeout,
            session=session,
        )
        self._wsdl_origin = _origin(wsdl) if _is_url(wsdl) else None
        self._allow_external = allow_external
        base = wsdl if _is_url(wsdl) else os.path.realpath(wsdl)
        self._overrides = {
            _resolve(location, base): Path(path) for location, path in (overrides or {}).items()
        }

    def load(self, url: str) -> bytes:
        override = self._overrides.get(_normalise(url))
        if override is not None:
            log.debug("wsdl_document_overridden", location=url, path=str(override))
            return override.read_bytes()
        if _is_url(url):
            if not (self._allow_external or _origin(url) == self._wsdl_origin):
                raise _ExternalLoadRefused(url)
        elif urlparse(url).scheme in ("", "file"):
            path = urlparse(url).path if url.startswith("file:") else os.path.expanduser(url)
            if not os.path.isfile(path):
                raise _MissingDocument(url)
        content: bytes = super().load(url)
        return content


def _normalise(location: str) -> str:
    return location if _is_url(location) else os.path.realpath(location)


def _resolve(location: str, base: str) -> str:
    """A location as written in a WSDL (maybe relative) made absolute against the WSDL."""
    if _is_url(location) or os.path.isabs(location):
        return _normalise(location)
    if _is_url(base):
        return urljoin(base, location)
    return os.path.realpath(os.path.join(os.path.dirname(base), location))


def build_session(config: SoapConfig) -> requests.Session:
    """The HTTP session every call uses: auth, client certificate and TLS verification."""
    session = requests.Session()
    if config.basic_auth is not None:
        session.auth = requests.auth.HTTPBasicAuth(
            config.basic_auth.username, config.basic_auth.password.get_secret_value()
        )
    if config.client_cert is not None:
        cert = config.client_cert
        session.cert = (str(cert.cert), str(cert.key)) if cert.key else str(cert.cert)
    session.verify = str(config.verify) if isinstance(config.verify, Path) else config.verify
    return session


def load_client(config: SoapConfig, name: str) -> zeep.Client:
    """A zeep Client for the configured WSDL; every load problem is an AdapterConfigError
    that says what to change."""
    wsdl = config.wsdl
    if not _is_url(wsdl) and not os.path.isfile(wsdl):
        raise AdapterConfigError(
            f"adapters.{name}.wsdl: no file at {wsdl}; give the path of the WSDL (relative to "
            "the working folder) or its http(s) URL"
        )
    cache = None
    if config.cache_dir is not None and _is_url(wsdl):
        config.cache_dir.mkdir(parents=True, exist_ok=True)
        cache = SqliteCache(path=str(config.cache_dir / "wsdl-cache.sqlite"))
    transport = OfflineTransport(
        wsdl=wsdl,
        allow_external=config.allow_external,
        overrides=config.schema_overrides,
        cache=cache,
        load_timeout=config.connect_timeout + config.timeout,
        # requests reads (connect, read): zeep has no operation timeout unless one is set.
        operation_timeout=(config.connect_timeout, config.timeout),
        session=build_session(config),
    )
    settings = zeep.Settings(
        strict=True,
        forbid_dtd=True,
        forbid_entities=True,
        # The transport above is the real gate (it knows the overrides and the WSDL's own
        # host); zeep's own check is kept wherever it cannot get in the way of those.
        forbid_external=not (
            config.allow_external
            or _is_url(wsdl)
            or any(_is_url(location) for location in config.schema_overrides)
        ),
        xml_huge_tree=False,
    )
    wsse = None
    if config.wsse is not None:
        wsse = UsernameToken(
            config.wsse.username,
            config.wsse.password.get_secret_value(),
            use_digest=config.wsse.digest,
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            client = zeep.Client(wsdl, transport=transport, settings=settings, wsse=wsse)
        except Exception as exc:
            raise _config_error(name, wsdl, exc, [str(w.message) for w in caught]) from exc
    for warning in caught:
        log.warning(
            "wsdl_loaded_with_warning", adapter=name, wsdl=wsdl, warning=str(warning.message)
        )
    return client


def _config_error(name: str, wsdl: str, exc: Exception, warned: list[str]) -> AdapterConfigError:
    prefix = f"adapters.{name}: the WSDL at {wsdl}"
    if isinstance(exc, ExternalReferenceForbidden | _ExternalLoadRefused):
        url = exc.url if isinstance(exc, _ExternalLoadRefused) else str(exc.url)
        return AdapterConfigError(
            f"{prefix} imports {url}, which needs the network, and loading is offline. Vendor "
            "it: download that document next to the WSDL and point the import's "
            f"schemaLocation at the local copy (or map it with `schema_overrides: {{{url!r}: "
            "local.xsd}`), or set allow_external: true to fetch it"
        )
    if isinstance(exc, _MissingDocument):
        return AdapterConfigError(
            f"{prefix} imports {exc.location}, and no file is there. Put the missing "
            f"document at that path, or answer it with `schema_overrides: "
            f"{{{exc.location!r}: local.xsd}}`"
        )
    if isinstance(exc, DTDForbidden | EntitiesForbidden):
        return AdapterConfigError(
            f"{prefix} declares a DTD or XML entities ({exc}), which are refused because they "
            "can read local files or the network (XXE); nothing they reference was read. "
            "Remove the <!DOCTYPE> from the WSDL"
        )
    if isinstance(exc, XMLSyntaxError):
        return AdapterConfigError(f"{prefix} is not well-formed XML ({exc}); fix the file")
    if isinstance(exc, requests.RequestException):
        return AdapterConfigError(
            f"{prefix} could not be fetched ({type(exc).__name__}: {exc}). Is the service up? "
            "Vendor the WSDL so civicbus starts while the legacy system is down (`wsdl: "
            "./service.wsdl` with `endpoint: <its URL>`), or set cache_dir to keep a copy"
        )
    hint = f" zeep warned: {'; '.join(warned)}." if warned else ""
    return AdapterConfigError(
        f"{prefix} cannot be loaded: {type(exc).__name__}: {exc}.{hint} Fix the WSDL (or a "
        "vendored copy of it) so every message, part and type it names is defined"
    )


@dataclass(frozen=True)
class SelectedPort:
    service: str
    port: str
    binding: SoapBinding
    address: str | None

    @property
    def soap_version(self) -> str:
        return "1.2" if isinstance(self.binding, Soap12Binding) else "1.1"


def select_port(client: zeep.Client, config: SoapConfig, name: str) -> SelectedPort:
    """The port to call: by name, by SOAP version, or the first SOAP port of the service."""
    services = client.wsdl.services
    if not services:
        raise AdapterConfigError(f"adapters.{name}: the WSDL at {config.wsdl} has no service")
    if config.service is None:
        service = next(iter(services.values()))
    elif config.service in services:
        service = services[config.service]
    else:
        raise AdapterConfigError(
            f"adapters.{name}.service: no service {config.service!r} in {config.wsdl}; it has "
            f"{', '.join(services)}"
        )
    ports = {n: p for n, p in service.ports.items() if isinstance(p.binding, SoapBinding)}
    candidates = list(ports.values())
    if config.port is not None:
        candidates = [ports[config.port]] if config.port in ports else []
    elif config.soap_version is not None:
        candidates = [p for p in candidates if _version(p.binding) == config.soap_version]
    if not candidates:
        wanted = f"port {config.port!r}" if config.port else f"SOAP {config.soap_version} port"
        available = ", ".join(f"{n} (SOAP {_version(p.binding)})" for n, p in ports.items())
        raise AdapterConfigError(
            f"adapters.{name}: service {service.name!r} has no {wanted}; it has "
            f"{available or 'no SOAP ports'}. Set `port` or `soap_version` to one of those"
        )
    port = candidates[0]
    return SelectedPort(service.name, port.name, port.binding, port.binding_options.get("address"))


def _version(binding: SoapBinding) -> str:
    return "1.2" if isinstance(binding, Soap12Binding) else "1.1"
