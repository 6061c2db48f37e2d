"""Who is calling: an API key (`X-API-Key`) or an OAuth2 client-credentials token
(`Authorization: Bearer <JWT>`), checked against the client table. Anything else is 401."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt

from bus._gateway._clients import Client, ClientStore
from bus._gateway._problems import Problem
from bus._gateway_settings import JwtSettings

API_KEY_HEADER = "X-API-Key"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="civicbus", ApiKey header="X-API-Key"'}


def unauthenticated(detail: str) -> Problem:
    return Problem("unauthenticated", detail, headers=_CHALLENGE)


class Authenticator:
    """Turns request headers into a `Client`, with a short cache of the client table."""

    def __init__(self, clients: ClientStore, jwt_settings: JwtSettings, *, cache_seconds: float):
        self._clients = clients
        self._jwt = jwt_settings
        self._cache_seconds = cache_seconds
        self._cache: dict[tuple[str, str], tuple[float, Client | None]] = {}
        self._lock = threading.Lock()
        self._jwks = (
            jwt.PyJWKClient(jwt_settings.jwks_url, cache_keys=True, timeout=5)
            if jwt_settings.jwks_url
            else None
        )

    def authenticate(self, headers: Mapping[str, str]) -> Client:
        key = headers.get(API_KEY_HEADER.lower()) or headers.get(API_KEY_HEADER)
        authorization = headers.get("authorization", "")
        if key:
            client = self._cached("key", key, lambda: self._clients.by_key(key))
            if client is None:
                raise unauthenticated(
                    f"the {API_KEY_HEADER} is not known; ask the bus operators for a key "
                    "(`civicbus clients add`)"
                )
            return client
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            name = self._client_of_token(token.strip())
            client = self._cached("name", name, lambda: self._clients.by_name(name))
            if client is None:
                raise unauthenticated(f"the token names client {name!r}, which is not registered")
            return client
        raise unauthenticated(
            f"send an API key in {API_KEY_HEADER} or an OAuth2 token as "
            "'Authorization: Bearer <token>'"
        )

    def _client_of_token(self, token: str) -> str:
        if not self._jwt.enabled:
            raise unauthenticated(
                "this gateway accepts no tokens (gateway.jwt is not configured); use an API key"
            )
        try:
            key: Any = (
                self._jwks.get_signing_key_from_jwt(token).key
                if self._jwks is not None
                else self._jwt.key
            )
            claims = jwt.decode(
                token,
                key,
                algorithms=self._jwt.algorithms,
                audience=self._jwt.audience,
                issuer=self._jwt.issuer,
                leeway=self._jwt.leeway,
                options={"require": ["exp"], "verify_aud": self._jwt.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise unauthenticated("the token has expired; fetch a new one") from None
        except jwt.PyJWKClientError as exc:
            raise unauthenticated(f"the token's signing key cannot be found: {exc}") from None
        except jwt.InvalidTokenError as exc:
            raise unauthenticated(f"the token is not valid: {exc}") from None
        name = claims.get(self._jwt.client_claim) or claims.get("sub")
        if not isinstance(name, str) or not name:
            raise unauthenticated(
                f"the token has no {self._jwt.client_claim!r} or 'sub' claim naming the client"
            )
        return name

    def _cached(self, kind: str, value: str, load: Callable[[], Client | None]) -> Client | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get((kind, value))
        if hit is not None and now - hit[0] < self._cache_seconds:
            return hit[1]
        client = load()
        with self._lock:
            if len(self._cache) > 10_000:  # unknown keys must not grow it without bound
                self._cache.clear()
            self._cache[(kind, value)] = (now, client)
        return client
