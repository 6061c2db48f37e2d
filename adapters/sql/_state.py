"""Where a source's progress is kept: a table civicbus owns in its own database, never in the
legacy one. Positions are tuples of column values, stored as tagged JSON so a timestamp
watermark comes back as a timestamp."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

_metadata = sa.MetaData()
watermarks = sa.Table(
    "civicbus_sql_watermarks",
    _metadata,
    sa.Column("adapter", sa.String(200), primary_key=True),
    sa.Column("source", sa.String(200), primary_key=True),
    sa.Column("position", sa.Text, nullable=False),
)

Position = tuple[Any, ...]


class WatermarkStore:
    """Saved positions per (adapter, source), in the database at `url`."""

    def __init__(self, url: str) -> None:
        parsed = sa.make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
        self._engine = sa.create_engine(url, pool_pre_ping=True)
        _metadata.create_all(self._engine)

    def load(self, adapter: str, source: str) -> Position | None:
        with self._engine.connect() as connection:
            stored = connection.execute(
                sa.select(watermarks.c.position).where(
                    watermarks.c.adapter == adapter, watermarks.c.source == source
                )
            ).scalar_one_or_none()
        return None if stored is None else decode(stored)

    def save(self, adapter: str, source: str, position: Position) -> None:
        encoded = encode(position)
        with self._engine.begin() as connection:
            updated = connection.execute(
                watermarks.update()
                .where(watermarks.c.adapter == adapter, watermarks.c.source == source)
                .values(position=encoded)
            ).rowcount
            if not updated:
                connection.execute(
                    watermarks.insert().values(adapter=adapter, source=source, position=encoded)
                )

    def close(self) -> None:
        self._engine.dispose()


def encode(position: Position) -> str:
    return json.dumps([_tag(value) for value in position])


def decode(stored: str) -> Position:
    return tuple(_untag(kind, text) for kind, text in json.loads(stored))


# datetime before date (a datetime is a date too), bool before int for the same reason.
_TAGS: list[tuple[type, str, Any]] = [
    (datetime, "datetime", datetime.isoformat),
    (date, "date", date.isoformat),
    (Decimal, "decimal", str),
    (bool, "int", int),
    (int, "int", int),
    (float, "float", float),
    (type(None), "null", lambda _: None),
]


def _tag(value: Any) -> list[Any]:
    for kind, tag, convert in _TAGS:
        if isinstance(value, kind):
            return [tag, convert(value)]
    return ["str", str(value)]


def _untag(kind: str, value: Any) -> Any:
    converters: dict[str, Any] = {
        "datetime": datetime.fromisoformat,
        "date": date.fromisoformat,
        "decimal": Decimal,
        "int": int,
        "float": float,
        "str": str,
        "null": lambda _: None,
    }
    return converters[kind](value)
