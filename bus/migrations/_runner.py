"""Bring a civicbus database to the schema this code expects, without an alembic.ini.

Several workers may start at once against one database, so an upgrade runs in one transaction
that first takes a lock every other migrator waits on (SQLite's write lock via `BEGIN
IMMEDIATE`, a PostgreSQL advisory lock); the second one then finds the schema at head.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bus.migrations._engine import database_engine, sqlite_path

# Our own version table, so a database shared with an application that uses Alembic itself
# keeps the two histories apart.
VERSION_TABLE = "civicbus_alembic_version"

# Any constant works; it only has to be the same in every civicbus process.
_PG_MIGRATION_LOCK = 0x63697669  # "civi"

_SCRIPT_LOCATION = Path(__file__).resolve().parent

log = structlog.get_logger(__name__)


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """The Alembic configuration of civicbus, built in code; `connection` is the one to use."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPT_LOCATION))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest schema revision this version of civicbus ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships its initial revision
        raise RuntimeError(
            f"no migration revisions found in {_SCRIPT_LOCATION}; reinstall civicbus"
        )
    return str(head)


def current_revision(url: str) -> str | None:
    """The schema revision the database at `url` is at; None if civicbus never migrated it."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        # Asking must not create an empty database file as a side effect.
        return None
    engine = database_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            revision = context.get_current_revision()
    finally:
        engine.dispose()
    return None if revision is None else str(revision)


def migrate(url: str) -> None:
    """Upgrade the database at `url` to the head revision; a no-op when it is already there."""
    engine = database_engine(url, sqlite_begin="IMMEDIATE")
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            command.upgrade(alembic_config(connection), "head")
    finally:
        engine.dispose()
    log.debug("database_migrated", url=engine.url.render_as_string(hide_password=True))
