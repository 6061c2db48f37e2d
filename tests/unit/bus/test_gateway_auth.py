"""Authentication: an API key or a token signed with the configured key names a registered
client; anything else is a 401 problem that says what to send."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bus._gateway import ClientStore, Problem
from bus._gateway._auth import Authenticator
from bus._gateway_settings import JwtSettings
from bus.migrations import migrate

SECRET = "a-shared-secret-of-at-least-32-bytes!"


@pytest.fixture
def clients(tmp_path: Path) -> Iterator[ClientStore]:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    migrate(url)
    store = ClientStore(url)
    store.add("portal")
    yield store
    store.close()


def token(key: Any, algorithm: str = "HS256", **claims: Any) -> str:
    return jwt.encode(
        {"client_id": "portal", "exp": int(time.time()) + 60, **claims}, key, algorithm=algorithm
    )


def authenticate(clients: ClientStore, settings: JwtSettings, headers: dict[str, str]) -> str:
    auth = Authenticator(clients, settings, cache_seconds=0)
    return auth.authenticate({k.lower(): v for k, v in headers.items()}).name


def test_an_hs256_token_with_the_configured_secret_names_its_client(clients: ClientStore):
    settings = JwtSettings(key=SECRET, algorithms=["HS256"])

    name = authenticate(clients, settings, {"Authorization": f"Bearer {token(SECRET)}"})

    assert name == "portal"


def test_an_rs256_token_checked_against_a_pem_key(clients: ClientStore):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings = JwtSettings(key=pem.decode(), algorithms=["RS256"])

    name = authenticate(clients, settings, {"Authorization": f"Bearer {token(private, 'RS256')}"})

    assert name == "portal"


@pytest.mark.parametrize(
    ("settings", "headers", "says"),
    [
        (
            JwtSettings(key=SECRET, algorithms=["HS256"]),
            {"Authorization": f"Bearer {token('another-secret-of-at-least-32-bytes')}"},
            "not valid",
        ),
        (
            JwtSettings(key=SECRET, algorithms=["HS256"]),
            {"Authorization": "Bearer " + jwt.encode({"client_id": "portal"}, None, "none")},
            "not valid",
        ),
        (
            JwtSettings(key=SECRET, algorithms=["HS256"]),
            {"Authorization": f"Bearer {token(SECRET, exp=int(time.time()) - 60)}"},
            "expired",
        ),
        (JwtSettings(), {"Authorization": f"Bearer {token(SECRET)}"}, "accepts no tokens"),
        (JwtSettings(), {"X-API-Key": "cbk_unknown"}, "not known"),
        (JwtSettings(), {}, "send an API key"),
    ],
    ids=["wrong-secret", "unsigned", "expired", "tokens-off", "unknown-key", "nothing"],
)
def test_anything_else_is_401_saying_why(
    clients: ClientStore, settings: JwtSettings, headers: dict[str, str], says: str
):
    with pytest.raises(Problem) as refused:
        authenticate(clients, settings, headers)

    assert refused.value.status == 401
    assert says in refused.value.detail


def test_jwt_settings_refuse_the_none_algorithm_and_two_key_sources():
    with pytest.raises(ValueError, match="none"):
        JwtSettings(key=SECRET, algorithms=["none"])
    with pytest.raises(ValueError, match="not both"):
        JwtSettings(key=SECRET, jwks_url="https://idp.test/jwks")
