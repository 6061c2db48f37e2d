"""Settings of the HTTP gateway (`gateway:` in civicbus.yaml, `CIVICBUS_GATEWAY__*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class JwtSettings(BaseModel):
    """OAuth2 client-credentials tokens: verified against a key or a JWKS URL, never trusted."""

    key: str | None = Field(
        None,
        description="PEM public key (RS256/ES256) or shared secret (HS256) tokens are signed with.",
    )
    jwks_url: str | None = Field(None, description="JWKS URL of the authorisation server.")
    algorithms: list[str] = Field(default_factory=lambda: ["RS256"], min_length=1)
    audience: str | None = Field(None, description="Required `aud` claim, if set.")
    issuer: str | None = Field(None, description="Required `iss` claim, if set.")
    client_claim: str = Field(
        "client_id", description="Claim naming the civicbus client; `sub` when it is absent."
    )
    leeway: float = Field(5.0, ge=0, description="Seconds of clock skew allowed on exp/nbf.")

    @model_validator(mode="after")
    def _one_key_source(self) -> JwtSettings:
        if self.key and self.jwks_url:
            raise ValueError("set gateway.jwt.key or gateway.jwt.jwks_url, not both")
        if "none" in (a.lower() for a in self.algorithms):
            raise ValueError("gateway.jwt.algorithms must not include 'none'")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.key or self.jwks_url)


class RateLimitSettings(BaseModel):
    """Per-client limits; a client's own `rate_per_minute` (clients add) overrides the default."""

    per_minute: int = Field(600, ge=1, description="Sustained requests per minute per client.")
    burst: int = Field(60, ge=1, description="Requests a client may send at once.")
    calls_per_day: int | None = Field(
        None,
        ge=1,
        description="Operation calls per client per UTC day (quota); a client's own "
        "`calls_per_day` overrides it; None: no quota.",
    )


class WebhookSettings(BaseModel):
    """Event deliveries to subscribers' URLs (retries and dead letters follow `retry:`)."""

    enabled: bool = Field(True, description="Deliver webhooks from this gateway process.")
    timeout: float = Field(5.0, gt=0, description="Seconds a receiver has to answer a POST.")
    poll_interval: float = Field(
        5.0, gt=0, description="Seconds between reads of the subscriptions table."
    )


class GatewaySettings(BaseModel):
    """The HTTP interface for new digital services."""

    enabled: bool = Field(False, description="Serve the gateway inside `civicbus run` too.")
    host: str = Field("127.0.0.1", description="Address `civicbus gateway` listens on.")
    port: int = Field(8080, ge=0, le=65535)
    max_body_bytes: int = Field(65_536, ge=64, description="Larger request bodies get 413.")
    call_timeout: float = Field(30.0, gt=0, description="Seconds a call waits for its reply.")
    workers: int = Field(32, ge=1, description="Threads waiting on bus calls at once.")
    call_retention_days: float = Field(
        7.0,
        gt=0,
        description="How long Idempotency-Key answers and async results are kept.",
    )
    person_id_fields: list[str] = Field(
        default_factory=lambda: ["person_id"],
        description="Request fields whose value is a person's identifier: such calls are "
        "written to the data-access log, with the identifier as the message subject.",
    )
    jwt: JwtSettings = Field(default_factory=JwtSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
