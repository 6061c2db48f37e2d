"""The civicbus database: its schema revisions (Alembic) and how every store connects to it."""

from bus.migrations._engine import database_engine
from bus.migrations._runner import VERSION_TABLE, current_revision, head_revision, migrate
from bus.migrations._types import UTCDateTime

__all__ = [
    "VERSION_TABLE",
    "UTCDateTime",
    "current_revision",
    "database_engine",
    "head_revision",
    "migrate",
]
