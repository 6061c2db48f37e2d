"""Parts kept until their group completes: the state of aggregators, in the state database.

A part is written in the transaction of the message that carried it, the same one that
records the message as handled, so a crash either keeps both or neither: after a restart the
redelivered message adds its part once. A group's id comes from its first part, so completing
it again after a crash yields the same aggregate id, which consumers drop as a duplicate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bus.migrations._types import UTCDateTime

metadata = sa.MetaData()

groups = sa.Table(
    "aggregate_groups",
    metadata,
    sa.Column("owner", sa.String(), primary_key=True),
    sa.Column("key", sa.String(), primary_key=True),
    sa.Column("opened_by", sa.String(), nullable=False),
    sa.Column("opened_at", UTCDateTime(), nullable=False),
    sa.Index("ix_aggregate_groups_opened_at", "opened_at"),
)

parts = sa.Table(
    "aggregate_parts",
    metadata,
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("owner", sa.String(), nullable=False),
    sa.Column("key", sa.String(), nullable=False),
    sa.Column("part_id", sa.String(), nullable=False),
    sa.Column("data", sa.Text(), nullable=False),
    sa.UniqueConstraint("owner", "key", "part_id", name="uq_aggregate_parts_part"),
)


@dataclass(frozen=True)
class AggregateGroup:
    """A group of parts: its key, the id of its first part, and the parts in arrival order."""

    key: str
    opened_by: str
    opened_at: datetime
    parts: list[dict[str, Any]]


class Aggregates:
    """The aggregator state operations; each runs in the transaction of `connection`."""

    @staticmethod
    def create_tables(engine: sa.Engine) -> None:
        """For a throwaway database (the route test kit's); real ones get the migrations."""
        metadata.create_all(engine)

    @staticmethod
    def add_part(
        connection: sa.Connection, owner: str, key: str, part_id: str, data: dict[str, Any]
    ) -> AggregateGroup:
        """Add a part to the group `key` of `owner` (a second add of `part_id` changes nothing)
        and return the group as it now stands, inside the caller's transaction."""
        now = datetime.now(UTC)
        _insert_ignoring_duplicates(
            connection, groups, {"owner": owner, "key": key, "opened_by": part_id, "opened_at": now}
        )
        group = _locked_group(connection, owner, key)
        _insert_ignoring_duplicates(
            connection,
            parts,
            {"owner": owner, "key": key, "part_id": part_id, "data": json.dumps(data)},
        )
        return AggregateGroup(key, group.opened_by, group.opened_at, _parts(connection, owner, key))

    @staticmethod
    def read_group(connection: sa.Connection, owner: str, key: str) -> AggregateGroup | None:
        """The group with its parts, locked until the transaction ends; None if it is gone."""
        try:
            group = _locked_group(connection, owner, key)
        except LookupError:
            return None
        return AggregateGroup(key, group.opened_by, group.opened_at, _parts(connection, owner, key))

    @staticmethod
    def close_group(connection: sa.Connection, owner: str, key: str) -> None:
        connection.execute(parts.delete().where(parts.c.owner == owner, parts.c.key == key))
        connection.execute(groups.delete().where(groups.c.owner == owner, groups.c.key == key))

    @staticmethod
    def expired_keys(connection: sa.Connection, owner: str, older_than: timedelta) -> list[str]:
        """Keys of `owner`'s groups opened more than `older_than` ago, oldest first."""
        cutoff = datetime.now(UTC) - older_than
        query = (
            sa.select(groups.c.key)
            .where(groups.c.owner == owner, groups.c.opened_at < cutoff)
            .order_by(groups.c.opened_at)
        )
        return list(connection.scalars(query))


def _locked_group(connection: sa.Connection, owner: str, key: str) -> Any:
    # FOR UPDATE on PostgreSQL: two workers adding to one group complete it once. SQLite has
    # one writer at a time anyway and ignores the clause.
    query = (
        sa.select(groups.c.opened_by, groups.c.opened_at)
        .where(groups.c.owner == owner, groups.c.key == key)
        .with_for_update()
    )
    row = connection.execute(query).first()
    if row is None:
        raise LookupError(f"no aggregate group {owner}/{key}")
    return row


def _parts(connection: sa.Connection, owner: str, key: str) -> list[dict[str, Any]]:
    query = (
        sa.select(parts.c.data)
        .where(parts.c.owner == owner, parts.c.key == key)
        .order_by(parts.c.seq)
    )
    return [json.loads(data) for data in connection.scalars(query)]


def _insert_ignoring_duplicates(
    connection: sa.Connection, table: sa.Table, row: dict[str, Any]
) -> None:
    dialect = connection.dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
        connection.execute(insert.on_conflict_do_nothing(), row)
        return
    try:
        with connection.begin_nested():
            connection.execute(table.insert(), row)
    except sa.exc.IntegrityError:
        pass
