"""The configuration of one SOAP adapter instance (`adapters: {NAME: {kind: soap, ...}}`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from adapters import AdapterConfig


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WsseConfig(_Strict):
    """WS-Security UsernameToken sent in the SOAP header of every call."""

    username: str
    password: SecretStr
    digest: bool = Field(False, description="Send a PasswordDigest instead of the plain text.")


class BasicAuthConfig(_Strict):
    """HTTP basic authentication on every request to the endpoint."""

    username: str
    password: SecretStr


class ClientCertConfig(_Strict):
    """Client TLS certificate (mutual TLS); `key` may be omitted when `cert` holds both."""

    cert: Path
    key: Path | None = None


class CanonicalMapping(_Strict):
    """How one operation's request and response map to canonical schema types.

    Paths are dotted (`address.city`); `request_fields` maps canonical path -> WSDL path and
    `response_fields` maps canonical path -> WSDL path too, so one table reads both ways.
    `mapper` names a `module:function` taking `(direction, data)` with direction "request"
    or "response" and returning the mapped dict, for mappings a table cannot say.
    """

    request_type: str | None = None
    response_type: str | None = None
    request_fields: dict[str, str] = Field(default_factory=dict)
    response_fields: dict[str, str] = Field(default_factory=dict)
    mapper: str | None = Field(None, pattern=r"^[\w.]+:\w+$")


class OperationOverride(_Strict):
    """Per-operation settings, keyed by the kebab-case operation name."""

    idempotent: bool | None = Field(
        None, description="Whether a retry after a timeout is safe; default by name."
    )
    canonical: CanonicalMapping | None = None


class SoapConfig(AdapterConfig):
    """A SOAP service described by a WSDL, called with zeep."""

    kind: str = "soap"
    wsdl: str = Field(description="Path or http(s) URL of the WSDL.")
    cache_dir: Path | None = Field(
        None, description="Folder for the cache of WSDL/XSD documents loaded from URLs."
    )
    service: str | None = Field(None, description="Service name in the WSDL; default the first.")
    port: str | None = Field(None, description="Port name in the service; default the first.")
    soap_version: Literal["1.1", "1.2"] | None = Field(
        None, description="Pick the first port with this SOAP version when `port` is not set."
    )
    endpoint: str | None = Field(None, description="URL that replaces the WSDL soap:address.")
    wsse: WsseConfig | None = None
    basic_auth: BasicAuthConfig | None = None
    client_cert: ClientCertConfig | None = None
    verify: bool | Path = Field(True, description="Verify TLS; a path names a CA bundle.")
    connect_timeout: float = Field(5.0, gt=0, description="Seconds to open a connection.")
    allow_external: bool = Field(
        False, description="Let the WSDL import schemas from other hosts over the network."
    )
    schema_overrides: dict[str, Path] = Field(
        default_factory=dict,
        description="Answer a schema location (as written in the WSDL, relative to it, or a "
        "URL) with a local file instead, e.g. a vendored or stub XSD.",
    )
    headers: dict[str, Any] = Field(
        default_factory=dict, description="SOAP header values applied to every call."
    )
    operations: dict[str, OperationOverride] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _port_or_version(self) -> SoapConfig:
        if self.port is not None and self.soap_version is not None:
            raise ValueError(
                "set either `port` or `soap_version`, not both: `port` already picks one binding"
            )
        return self
