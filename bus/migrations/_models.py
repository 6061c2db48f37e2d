"""Every table the migrations create, as the application's models declare them.

Kept apart from the package's `__init__` because the stores import `bus.migrations` for their
engines; the Alembic environment and the model-versus-migration test read this list.
"""

from __future__ import annotations

import sqlalchemy as sa

from bus._aggregates import metadata as aggregates_metadata
from bus._audit import metadata as audit_metadata
from bus._catalog_store import metadata as catalog_metadata
from bus._gateway._tables import metadata as gateway_metadata
from bus._idempotency import metadata as idempotency_metadata
from bus._journal._tables import metadata as journal_metadata
from bus._replies import metadata as replies_metadata

ALL_METADATA: list[sa.MetaData] = [
    journal_metadata,
    idempotency_metadata,
    replies_metadata,
    aggregates_metadata,
    audit_metadata,
    catalog_metadata,
    gateway_metadata,
]
