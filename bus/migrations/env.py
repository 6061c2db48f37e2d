"""Alembic environment of civicbus: run with the connection `bus.migrations.migrate` opened.

Offline (SQL script) mode is not supported: civicbus migrates its own databases at start-up.
"""

from __future__ import annotations

from alembic import context

from bus.migrations._models import ALL_METADATA
from bus.migrations._runner import VERSION_TABLE

target_metadata = ALL_METADATA


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "the civicbus migrations need an open connection; "
            "call bus.migrations.migrate(url) instead of the alembic command line"
        )
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        compare_type=True,
        # SQLite alters tables by copying them; batch mode makes future revisions portable.
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError(
        "offline migrations are not supported; run bus.migrations.migrate(url) against the database"
    )
_run_online()
