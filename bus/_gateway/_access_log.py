"""The data-access log: who called an operation about a person, when, and for what stated
purpose — so a citizen portal can show people who looked at their data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from bus._gateway._tables import data_access
from bus.migrations import database_engine


@dataclass(frozen=True)
class DataAccess:
    person_id: str
    at: datetime
    client: str
    operation: str
    purpose: str | None
    end_user: str | None
    request_id: str
    status: int


class DataAccessLog:
    """The `gateway_data_access` table; written synchronously, as an audit record must not be
    lost to a crash the way a batched journal entry may be."""

    def __init__(self, url: str) -> None:
        self._engine = database_engine(url)

    def record(self, access: DataAccess) -> None:
        with self._engine.begin() as connection:
            connection.execute(data_access.insert(), [access.__dict__])

    def of_person(self, person_id: str, *, limit: int = 1000) -> list[DataAccess]:
        """Accesses to `person_id`'s data, newest first."""
        query = (
            sa.select(
                data_access.c.person_id,
                data_access.c.at,
                data_access.c.client,
                data_access.c.operation,
                data_access.c.purpose,
                data_access.c.end_user,
                data_access.c.request_id,
                data_access.c.status,
            )
            .where(data_access.c.person_id == person_id)
            .order_by(data_access.c.at.desc(), data_access.c.seq.desc())
            .limit(limit)
        )
        with self._engine.connect() as connection:
            return [DataAccess(**row._mapping) for row in connection.execute(query)]

    def close(self) -> None:
        self._engine.dispose()
