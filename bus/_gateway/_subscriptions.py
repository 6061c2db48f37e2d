"""Webhook subscriptions: a client asks for one event type to be POSTed to its URL."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa

from bus._gateway._problems import Problem
from bus._gateway._tables import subscriptions
from bus.migrations import database_engine


@dataclass(frozen=True)
class Subscription:
    id: str
    client: str
    event_type: str
    url: str
    secret: str
    created_at: datetime

    @property
    def consumer(self) -> str:
        """The bus consumer that delivers it: its queues, retries and dead letters."""
        return f"webhook.{self.id}"


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Problem(
            "invalid-request",
            f"url {url!r} is not an absolute http(s) URL; give the address of your receiver",
        )


class SubscriptionStore:
    """The `gateway_subscriptions` table."""

    def __init__(self, url: str) -> None:
        self._engine = database_engine(url)

    def add(self, client: str, event_type: str, url: str) -> Subscription:
        subscription = Subscription(
            id=uuid.uuid4().hex,
            client=client,
            event_type=event_type,
            url=url,
            secret=secrets.token_urlsafe(32),
            created_at=datetime.now(UTC),
        )
        with self._engine.begin() as connection:
            connection.execute(subscriptions.insert(), [subscription.__dict__])
        return subscription

    def remove(self, client: str, subscription_id: str) -> bool:
        with self._engine.begin() as connection:
            result = connection.execute(
                subscriptions.delete().where(
                    subscriptions.c.id == subscription_id, subscriptions.c.client == client
                )
            )
        return bool(result.rowcount)

    def of_client(self, client: str) -> list[Subscription]:
        return self._select(subscriptions.c.client == client)

    def all(self) -> list[Subscription]:
        return self._select(sa.true())

    def close(self) -> None:
        self._engine.dispose()

    def _select(self, where: sa.ColumnElement[bool]) -> list[Subscription]:
        query = sa.select(subscriptions).where(where).order_by(subscriptions.c.created_at)
        with self._engine.connect() as connection:
            return [Subscription(**row._mapping) for row in connection.execute(query)]
