"""The SQL kind keeps the adapter contract against the legacy benefits database on PostgreSQL.

How the database is broken, and why so:
- slow: another session holds an ACCESS EXCLUSIVE lock on BEN_CASE, as a long legacy batch
  job does; every read waits for it until the adapter's lock/statement timeout fires;
- unreachable: the database refuses new connections (ALLOW_CONNECTIONS false) and the
  adapter's sessions are terminated (pg_terminate_backend), as when the server goes away;
- healthy: the lock is released and connections are allowed again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.testing import AdapterContract, SampleCall
from examples.legacy.benefits_db import LegacyApplication, create_schema

pytestmark = pytest.mark.timeout(60)


class PostgresControl:
    """Breaks and mends one PostgreSQL database from the server's admin database."""

    def __init__(self, url: str, admin_url: str) -> None:
        self.database = sa.make_url(url).database
        self._engine = sa.create_engine(url)
        self._admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self._lock: sa.Connection | None = None

    def make_slow(self, delay: float) -> None:
        # The lock is held until make_healthy, which is longer than `delay`: just as slow.
        self._lock = self._engine.connect()
        self._lock.exec_driver_sql('LOCK TABLE "BEN_CASE" IN ACCESS EXCLUSIVE MODE')

    def make_unreachable(self) -> None:
        with self._admin.connect() as connection:
            connection.exec_driver_sql(
                f'ALTER DATABASE "{self.database}" WITH ALLOW_CONNECTIONS false'
            )
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": self.database},
            )

    def make_healthy(self) -> None:
        if self._lock is not None:
            self._lock.close()  # rolls back, releasing the lock
            self._lock = None
        with self._admin.connect() as connection:
            connection.exec_driver_sql(
                f'ALTER DATABASE "{self.database}" WITH ALLOW_CONNECTIONS true'
            )

    def close(self) -> None:
        self.make_healthy()
        self._engine.dispose()
        self._admin.dispose()


@pytest.fixture
def benefits_database(postgres_url: str) -> str:
    engine = sa.create_engine(postgres_url)
    create_schema(engine)
    LegacyApplication(engine).open_case("C1", "Ann")
    engine.dispose()
    return postgres_url


class TestSqlContract(AdapterContract):
    instance_name = "benefits-db"

    @pytest.fixture
    def adapter_config(self, benefits_database: str) -> dict[str, Any]:
        find_case = {"name": "find-case", "kind": "select", "table": "BEN_CASE",
                     "where": ["CASE_NO"], "columns": ["CLIENT_NAME", "STATUS"]}  # fmt: skip
        return {"kind": "sql", "url": benefits_database, "operations": [find_case]}

    @pytest.fixture
    def legacy(
        self, adapter: Any, benefits_database: str, postgres_admin_url: str
    ) -> Iterator[PostgresControl]:
        control = PostgresControl(benefits_database, postgres_admin_url)
        yield control
        control.close()

    @pytest.fixture
    def sample_call(self) -> SampleCall:
        return SampleCall(
            "find-case",
            {"case_no": "C1"},
            expect={"rows": [{"client_name": "Ann", "status": "OP"}]},
        )
