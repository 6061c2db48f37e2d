"""Settings of the operations console (`console:` in civicbus.yaml, `CIVICBUS_CONSOLE__*`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr

Role = Literal["viewer", "operator", "admin"]


class ConsoleUser(BaseModel):
    """One person who may sign in; `civicbus console users add` prints the hash."""

    password_hash: str = Field(description="scrypt$... as `civicbus console users add` prints.")
    role: Role = Field(
        "viewer",
        description="viewer reads; operator replays and discards; "
        "admin also sees personal data unmasked.",
    )


class ConsoleSettings(BaseModel):
    """The web console for operations teams."""

    enabled: bool = Field(False, description="Serve it from `civicbus run` too.")
    host: str = Field("127.0.0.1", description="Listen address; 0.0.0.0 in a container.")
    port: int = Field(8090, ge=0, le=65535, description="0 picks a free port.")
    secret: SecretStr | None = Field(
        None,
        description="Key that signs session cookies; the same on every console process. Unset: "
        "a random key per process, so sign-ins end when it restarts.",
    )
    users: dict[str, ConsoleUser] = Field(
        default_factory=dict, description="Who may sign in: {name: {password_hash, role}}."
    )
    session_hours: float = Field(12.0, gt=0, description="A sign-in lasts this long.")
    secure_cookie: bool = Field(
        False, description="Send the session cookie over HTTPS only (set it behind TLS)."
    )
    refresh_seconds: float = Field(5.0, gt=0, description="How often live pages refresh.")
    flow_minutes: int = Field(15, ge=1, le=1440, description="Window the flow rates cover.")
