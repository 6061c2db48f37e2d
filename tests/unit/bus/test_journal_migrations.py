"""The civicbus schema revisions, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bus.migrations import VERSION_TABLE, current_revision, head_revision, migrate
from bus.migrations._models import ALL_METADATA


def table_names(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        return sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_new_database_has_no_revision(database_url: str) -> None:
    assert current_revision(database_url) is None


def test_migrate_brings_the_database_to_head(database_url: str) -> None:
    migrate(database_url)

    assert current_revision(database_url) == head_revision()


def test_migrating_twice_changes_nothing(database_url: str) -> None:
    migrate(database_url)
    tables = table_names(database_url)

    migrate(database_url)

    assert (table_names(database_url), current_revision(database_url)) == (
        tables,
        head_revision(),
    )


def test_migrations_started_together_all_succeed(database_url: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            migrate(database_url)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert (errors, current_revision(database_url)) == ([], head_revision())


def test_the_migrations_and_the_table_models_agree(database_url: str) -> None:
    migrate(database_url)
    models = sa.MetaData()
    for table in [table for metadata in ALL_METADATA for table in metadata.tables.values()]:
        table.to_metadata(models)

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
            )
            differences = compare_metadata(context, models)
    finally:
        engine.dispose()

    assert differences == []
