"""Settings: `CIVICBUS_*` environment variables over a YAML file over defaults.

The defaults need no server: an embedded durable broker and SQLite files under `.civicbus/`.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, StringConstraints, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from bus._console_settings import ConsoleSettings
from bus._gateway_settings import GatewaySettings

DEFAULT_CONFIG_FILE = Path("civicbus.yaml")
_FUNCTION_PATH = r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$"


class RetrySettings(BaseModel):
    """How a failing message is retried before it is dead-lettered."""

    in_process_attempts: int = Field(
        3, ge=1, description="Attempts in the consumer for transient errors (tenacity)."
    )
    in_process_wait_initial: float = Field(0.05, ge=0, description="First in-process backoff, s.")
    in_process_wait_max: float = Field(1.0, ge=0, description="Longest in-process backoff, s.")
    redelivery_delays: list[float] = Field(
        default_factory=lambda: [1.0, 10.0, 60.0],
        description="Broker-delayed redeliveries after the in-process attempts, in seconds; "
        "when they are used up the message is dead-lettered.",
    )

    @property
    def max_deliveries(self) -> int:
        return 1 + len(self.redelivery_delays)


class JournalSettings(BaseModel):
    """The journal: every message and every hop, batched off the hot path."""

    enabled: bool = True
    url: str | None = Field(None, description="SQLAlchemy URL; default sqlite file in data_dir.")
    batch_size: int = Field(500, ge=1)
    flush_interval: float = Field(0.2, gt=0, description="Seconds between batch writes.")
    retention_days: float = Field(30.0, gt=0, description="Journal entries older than this go.")
    max_mb: float | None = Field(
        1024.0,
        gt=0,
        description="Size the journal's tables may take; past it the oldest messages go (a "
        "warning at 80%). None: age alone bounds it.",
    )
    max_queued: int = Field(
        100_000, ge=1, description="Entries held in memory at most; beyond, the oldest hops go."
    )
    producer_lag: int = Field(
        20_000, ge=1, description="Unwritten entries above which bulk sources wait for the writer."
    )


class CatalogSettings(BaseModel):
    """The catalog shared between processes through the state database."""

    heartbeat_interval: float = Field(
        10.0, gt=0, description="Seconds between an adapter host's refreshes of its operations."
    )
    stale_after: float = Field(
        60.0, gt=0, description="An operation not refreshed for this long is no longer offered."
    )
    cache_seconds: float = Field(
        2.0, ge=0, description="How long a caller reuses its last read of the shared catalog."
    )

    @model_validator(mode="after")
    def _heartbeat_before_stale(self) -> CatalogSettings:
        if self.heartbeat_interval >= self.stale_after:
            raise ValueError(
                f"heartbeat_interval ({self.heartbeat_interval}s) must be shorter than "
                f"stale_after ({self.stale_after}s), or live operations would vanish"
            )
        return self


class OpsSettings(BaseModel):
    """The endpoints `civicbus run` serves for probes and Prometheus: /healthz, /readyz,
    /metrics (the gateway serves them too, on its own port)."""

    enabled: bool = Field(True, description="Serve them from `civicbus run`.")
    host: str = Field("127.0.0.1", description="Listen address; 0.0.0.0 in a container.")
    port: int = Field(9464, ge=0, le=65535, description="0 picks a free port.")
    drain_seconds: float = Field(
        0.0,
        ge=0,
        description="On SIGTERM, answer /readyz with 503 this long before stopping, so a load "
        "balancer stops sending work first (5-10 s under Kubernetes).",
    )
    check_timeout: float = Field(2.0, gt=0, description="Seconds each readiness check may take.")


class Settings(BaseSettings):
    """Everything civicbus reads from its environment and config file."""

    model_config = SettingsConfigDict(
        env_prefix="CIVICBUS_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Field(Path(".civicbus"), description="Where the embedded defaults live.")
    broker_url: str | None = Field(
        None, description="kombu URL; amqp://... for RabbitMQ, default embedded:// in data_dir."
    )
    state_url: str | None = Field(
        None, description="SQLAlchemy URL for idempotency records; default sqlite in data_dir."
    )
    exchange: str = Field("civicbus.events", description="Durable topic exchange for events.")
    queue_prefix: str = Field("civicbus", description="Prefix of every queue civicbus declares.")
    prefetch: int = Field(64, ge=1, description="Unacknowledged messages per consumer.")
    quorum_queues: bool = Field(False, description="Declare quorum queues (RabbitMQ cluster).")
    max_message_bytes: int = Field(1_048_576, ge=256, description="Larger messages are refused.")
    publish_confirm_timeout: float = Field(30.0, gt=0, description="Seconds to wait for confirms.")
    idempotency_retention_days: float = Field(7.0, gt=0)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    journal: JournalSettings = Field(default_factory=JournalSettings)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    ops: OpsSettings = Field(default_factory=OpsSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    adapters: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Adapter instances by name: {population-register: {kind: soap, ...}}.",
    )
    schemas: list[Annotated[str, StringConstraints(pattern=_FUNCTION_PATH)]] = Field(
        default_factory=list,
        description="Your own canonical schemas: `package.module:function` entries, each called "
        "with the schema registry to register models, so routes, the gateway and the CLI know "
        "them: [myagency.schemas:register].",
    )
    routes: list[Path] = Field(
        default_factory=list,
        description="Route files, or folders of *.yaml route files, relative to the working "
        "directory: [routes/]. `civicbus routes check` checks them.",
    )
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @model_validator(mode="after")
    def _embedded_defaults(self) -> Settings:
        if self.broker_url is None:
            self.broker_url = f"embedded:///{self.data_dir / 'broker.db'}"
        if self.state_url is None:
            self.state_url = f"sqlite:///{self.data_dir / 'state.db'}"
        if self.journal.url is None:
            self.journal.url = f"sqlite:///{self.data_dir / 'journal.db'}"
        return self

    @property
    def broker(self) -> str:
        assert self.broker_url is not None  # filled by _embedded_defaults
        return self.broker_url

    @property
    def state(self) -> str:
        assert self.state_url is not None
        return self.state_url

    @property
    def journal_url(self) -> str:
        assert self.journal.url is not None
        return self.journal.url

    @property
    def uses_embedded_broker(self) -> bool:
        return self.broker.startswith("embedded:")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config = _config_file()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config))
        return tuple(sources)


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to change."""


# The file load_settings() was given; settings_customise_sources is a classmethod with no
# other way in, and the process environment must not be changed behind the caller's back.
_explicit_config: ContextVar[Path | None] = ContextVar("civicbus_config_file", default=None)


def _config_file() -> Path | None:
    given = _explicit_config.get()
    if given is not None:
        return given
    explicit = os.environ.get("CIVICBUS_CONFIG")
    if explicit:
        return Path(explicit)
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Read settings from the environment and the YAML file (`config`, `$CIVICBUS_CONFIG`,
    or `./civicbus.yaml`), raising ConfigError with every offending key."""
    token = _explicit_config.set(config)
    try:
        path = _config_file()
        if path is not None:
            _check_yaml(path)
        return Settings(**overrides)
    except ValidationError as exc:
        where = f" (config file {path})" if path else ""
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings{where}: {problems}") from exc
    finally:
        _explicit_config.reset(token)


def _check_yaml(path: Path) -> None:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; create it or unset CIVICBUS_CONFIG")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    if loaded is not None and not isinstance(loaded, dict):
        raise ConfigError(f"config file {path} must hold a mapping of settings at the top level")
