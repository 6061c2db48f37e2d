"""The legacy database on every backend the SQL adapter supports, fresh per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from examples.legacy.benefits_db import LegacyApplication, create_schema
from tests.conftest import require_service

MARIADB_ADMIN_URL = os.environ.get(
    "CIVICBUS_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"
)


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A fresh, empty MariaDB database for one test, dropped afterwards."""
    require_service("MariaDB", 3306)
    name = f"civicbus_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(MARIADB_ADMIN_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield MARIADB_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}?charset=utf8mb4"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def legacy_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty legacy database: a SQLite file, a PostgreSQL database, a MariaDB database."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    if request.param == "mariadb":
        return str(request.getfixturevalue("mariadb_url"))
    return f"sqlite:///{tmp_path / 'legacy.db'}"


@pytest.fixture
def legacy(legacy_url: str) -> Iterator[LegacyApplication]:
    """The legacy benefits schema in that database, and the application that writes it."""
    engine = sa.create_engine(legacy_url)
    create_schema(engine)
    yield LegacyApplication(engine)
    engine.dispose()
