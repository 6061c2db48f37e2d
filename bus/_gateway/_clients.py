"""Gateway clients and what each may do: deny by default, allow what was granted.

A client is a named new service. It authenticates with an API key (only its sha256 is kept;
the key is 256 random bits, so a fast hash is enough) or with an OAuth2 token naming it. A
grant lets it call one operation, receive one event type, or use one privilege.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa

from bus._gateway._tables import clients, grants
from bus.migrations import database_engine

GrantKind = Literal["operation", "event", "privilege"]
GRANT_KINDS: tuple[GrantKind, ...] = ("operation", "event", "privilege")

# The privilege to read who accessed a person's data (`GET /api/v1/data-access/{person}`).
DATA_ACCESS_LOG = "data-access-log"
PRIVILEGES = (DATA_ACCESS_LOG,)

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_KEY_PREFIX = "cbk_"


class ClientError(ValueError):
    """A client command cannot be carried out; the message says what to change."""


@dataclass(frozen=True)
class Client:
    """An authenticated client with its grants."""

    name: str
    rate_per_minute: int | None = None
    calls_per_day: int | None = None
    operations: frozenset[str] = field(default_factory=frozenset)
    events: frozenset[str] = field(default_factory=frozenset)
    privileges: frozenset[str] = field(default_factory=frozenset)
    description: str = ""

    def may(self, kind: GrantKind, name: str) -> bool:
        granted = {"operation": self.operations, "event": self.events}.get(kind, self.privileges)
        return name in granted


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ClientStore:
    """The `gateway_clients` and `gateway_grants` tables (migrated by the Bus or the CLI).

    Every write is one statement, so SQLite's deferred transactions never have to upgrade a
    read lock; reads do not queue behind writers."""

    def __init__(self, url: str) -> None:
        self._engine = database_engine(url)

    def add(
        self,
        name: str,
        *,
        description: str = "",
        rate_per_minute: int | None = None,
        calls_per_day: int | None = None,
    ) -> str:
        """Create a client and return its API key: shown once, stored only as a hash."""
        if not _NAME.match(name):
            raise ClientError(
                f"client name {name!r} is not allowed; use 1-63 lower-case letters, digits, "
                "'.', '_' or '-', starting with a letter or digit"
            )
        if rate_per_minute is not None and rate_per_minute < 1:
            raise ClientError("rate_per_minute must be at least 1 (or left out for the default)")
        if calls_per_day is not None and calls_per_day < 1:
            raise ClientError("calls_per_day must be at least 1 (or left out for the default)")
        key = _KEY_PREFIX + secrets.token_urlsafe(32)
        row = {
            "name": name,
            "description": description,
            "key_hash": hash_key(key),
            "rate_per_minute": rate_per_minute,
            "calls_per_day": calls_per_day,
            "created_at": datetime.now(UTC),
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(clients.insert(), row)
        except sa.exc.IntegrityError:
            raise ClientError(
                f"client {name!r} already exists; pick another name, or grant it more"
            ) from None
        return key

    def rotate_key(self, name: str) -> str:
        """Give client `name` a new API key and return it; the old key stops working at once
        (gateways cache a key for at most `client_cache_seconds`). Grants are kept."""
        key = _KEY_PREFIX + secrets.token_urlsafe(32)
        with self._engine.begin() as connection:
            result = connection.execute(
                clients.update().where(clients.c.name == name).values(key_hash=hash_key(key))
            )
        if not result.rowcount:
            raise ClientError(f"no client {name!r}; create it with `civicbus clients add {name}`")
        return key

    def grant(self, name: str, kind: GrantKind, target: str) -> bool:
        """Allow client `name` one thing; False if it was granted already."""
        self._check_grant(name, kind, target)
        row = {"client": name, "kind": kind, "name": target, "granted_at": datetime.now(UTC)}
        try:
            with self._engine.begin() as connection:
                connection.execute(grants.insert(), row)
        except sa.exc.IntegrityError:
            return False
        return True

    def revoke(self, name: str, kind: GrantKind, target: str) -> bool:
        """Take one grant back; False if the client did not have it."""
        self._check_grant(name, kind, target)
        with self._engine.begin() as connection:
            result = connection.execute(
                grants.delete().where(
                    grants.c.client == name, grants.c.kind == kind, grants.c.name == target
                )
            )
        return bool(result.rowcount)

    def by_key(self, key: str) -> Client | None:
        """The client holding API key `key`, or None."""
        return self._load(clients.c.key_hash == hash_key(key))

    def by_name(self, name: str) -> Client | None:
        return self._load(clients.c.name == name)

    def all(self) -> list[Client]:
        with self._engine.connect() as connection:
            names = connection.execute(sa.select(clients.c.name).order_by(clients.c.name)).all()
        found = [self.by_name(row.name) for row in names]
        return [client for client in found if client is not None]

    def close(self) -> None:
        self._engine.dispose()

    def _load(self, where: sa.ColumnElement[bool]) -> Client | None:
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(clients).where(where)).first()
            if row is None:
                return None
            granted = connection.execute(
                sa.select(grants.c.kind, grants.c.name).where(grants.c.client == row.name)
            ).all()
        by_kind: dict[str, set[str]] = {kind: set() for kind in GRANT_KINDS}
        for kind, target in granted:
            by_kind[kind].add(target)
        return Client(
            name=row.name,
            description=row.description,
            rate_per_minute=row.rate_per_minute,
            calls_per_day=row.calls_per_day,
            operations=frozenset(by_kind["operation"]),
            events=frozenset(by_kind["event"]),
            privileges=frozenset(by_kind["privilege"]),
        )

    def _check_grant(self, name: str, kind: GrantKind, target: str) -> None:
        if kind not in GRANT_KINDS:
            raise ClientError(f"grant kind {kind!r} is unknown; use one of {GRANT_KINDS}")
        if kind == "privilege" and target not in PRIVILEGES:
            raise ClientError(f"privilege {target!r} is unknown; the privileges are {PRIVILEGES}")
        if not target:
            raise ClientError(f"name the {kind} to grant")
        if self.by_name(name) is None:
            raise ClientError(f"no client {name!r}; create it with `civicbus clients add {name}`")
