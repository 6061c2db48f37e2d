"""The legacy schema as the database reports it: every identifier in the config must exist
there, so a typo is a start-up error naming it, and no identifier ever comes from a request."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import sqlalchemy as sa

from adapters._errors import AdapterConfigError
from adapters.sql._config import SqlConfig


class LegacySchema:
    """Reflected tables of one legacy database, looked up by their exact names."""

    def __init__(self, engine: sa.Engine, schema: str | None, adapter: str) -> None:
        self._engine = engine
        self._schema = schema
        self._adapter = adapter
        self._metadata = sa.MetaData(schema=schema)
        self._names: list[str] = sa.inspect(engine).get_table_names(schema=schema)
        self._names += sa.inspect(engine).get_view_names(schema=schema)

    def table(self, name: str, *, where: str) -> sa.Table:
        if name not in self._names:
            raise AdapterConfigError(
                f"{self._adapter}: {where} names table {name!r}, which the legacy database "
                f"does not have{_did_you_mean(name, self._names)}; names are case-sensitive, "
                "spell it as the database does"
            )
        key = f"{self._schema}.{name}" if self._schema else name
        if key in self._metadata.tables:
            return self._metadata.tables[key]
        return sa.Table(name, self._metadata, autoload_with=self._engine)

    def columns(self, table: sa.Table, names: Iterable[str], *, where: str) -> list[sa.Column]:  # type: ignore[type-arg]
        known = [column.name for column in table.columns]
        found = []
        for name in names:
            if name not in table.columns:
                raise AdapterConfigError(
                    f"{self._adapter}: {where} names column {name!r}, which table "
                    f"{table.name!r} does not have{_did_you_mean(name, known)}; its columns "
                    f"are {', '.join(known)}"
                )
            found.append(table.columns[name])
        return found

    def check_procedure(self, name: str, *, where: str) -> None:
        dialect = self._engine.dialect.name
        if dialect == "postgresql":
            query = sa.text("SELECT count(*) FROM pg_proc WHERE proname = :name")
        elif dialect in ("mysql", "mariadb"):
            query = sa.text(
                "SELECT count(*) FROM information_schema.routines "
                "WHERE routine_schema = DATABASE() AND routine_name = :name"
            )
        else:
            raise AdapterConfigError(
                f"{self._adapter}: {where} calls procedure {name!r}, but {dialect} has no "
                "stored procedures; use a select, insert, update or upsert operation instead"
            )
        with self._engine.connect() as connection:
            count = connection.execute(query, {"name": name}).scalar_one()
        if not count:
            raise AdapterConfigError(
                f"{self._adapter}: {where} calls procedure {name!r}, which the legacy database "
                "does not have; create it there or correct the name"
            )


def check_config(schema: LegacySchema, config: SqlConfig) -> None:
    """Every table and column the config names, looked up once at start-up."""
    for source in config.sources:
        if source.table is None:
            continue  # a query source's columns are checked against its own query
        where = f"source {source.name!r}"
        table = schema.table(source.table, where=where)
        names = [f.column for f in source.fields] + source.watermark + source.key + source.subject
        if source.processed_column:
            names.append(source.processed_column)
        schema.columns(table, names, where=where)
    for operation in config.operations:
        where = f"operation {operation.name!r}"
        if operation.kind == "procedure":
            assert operation.procedure is not None  # the config model requires it
            schema.check_procedure(operation.procedure, where=where)
            continue
        assert operation.table is not None  # the config model requires it
        table = schema.table(operation.table, where=where)
        schema.columns(table, operation.columns + operation.where, where=where)


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1) or [
        k for k in known if k.lower() == name.lower()
    ]
    return f" (did you mean {close[0]!r}?)" if close else ""
