"""Alembic environment of civicbus: run with the connection `bus.migrations.migrate` opened.

Offline (SQL script) mode is not supported: civicbus migrates its own databases at start-up.
"""

from __future__ import annotations

from alembic import context

from bus._idempotency import metadata as idempotency_metadata
from bus._journal._tables import metadata as journal_metadata
from bus.migrations._runner import VERSION_TABLE

target_metadata = [journal_metadata, idempotency_metadata]


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
