"""Per-client daily quotas: calls counted per UTC day in the state database, so every gateway
process shares one count and a restart forgets nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bus._gateway._tables import usage
from bus.migrations import database_engine


class QuotaStore:
    def __init__(self, url: str) -> None:
        self._engine = database_engine(url)

    def take(self, client: str, per_day: int | None) -> float:
        """Count one call of `client` today; 0 when within `per_day`, else the seconds until
        the quota renews (UTC midnight)."""
        if per_day is None:
            return 0.0
        now = datetime.now(UTC)
        calls = self._count(client, now.strftime("%Y-%m-%d"))
        if calls <= per_day:
            return 0.0
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return (midnight - now).total_seconds()

    def used(self, client: str, day: str) -> int:
        query = sa.select(usage.c.calls).where(usage.c.client == client, usage.c.day == day)
        with self._engine.connect() as connection:
            return int(connection.scalar(query) or 0)

    def close(self) -> None:
        self._engine.dispose()

    def _count(self, client: str, day: str) -> int:
        row = {"client": client, "day": day, "calls": 1}
        with self._engine.begin() as connection:
            if connection.dialect.name in ("postgresql", "sqlite"):
                dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
                insert = dialect.insert(usage).values(row)
                statement = insert.on_conflict_do_update(
                    index_elements=[usage.c.client, usage.c.day],
                    set_={"calls": usage.c.calls + 1},
                ).returning(usage.c.calls)
                return int(connection.execute(statement).scalar_one())
            updated = connection.execute(
                usage.update()
                .where(usage.c.client == client, usage.c.day == day)
                .values(calls=usage.c.calls + 1)
            )
            if updated.rowcount == 0:
                connection.execute(usage.insert(), row)
            return self.used(client, day) if updated.rowcount else 1
