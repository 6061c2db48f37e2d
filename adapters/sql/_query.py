"""The custom-query strategy: the integrator's own SELECT finds the rows to publish, and their
own statements mark each row done (`on_consume`) or failed (`on_failure`) once its event was
confirmed or its dead letter sent. Every value is a bound parameter; the statements are text
from the config, never from a message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from adapters._errors import AdapterConfigError
from adapters.sql._config import SourceConfig
from adapters.sql._errors import database_message


class CustomQuery:
    """One source's SELECT and its consume/failure statements over the legacy engine."""

    def __init__(self, adapter: str, engine: sa.Engine, source: SourceConfig) -> None:
        # The config model requires both for this strategy.
        assert source.query is not None
        assert source.on_consume is not None
        self._adapter = adapter
        self._engine = engine
        self._source = source
        self._select = sa.text(source.query)
        self._on_consume = sa.text(source.on_consume)
        self._on_failure = sa.text(source.on_failure or source.on_consume)

    def check(self) -> None:
        """Run the SELECT wrapped to return no row: a syntax error, an unknown table or a
        column the mapping names but the SELECT lacks is a start-up error naming it."""
        where = f"source {self._source.name!r}"
        probe = sa.text(f"SELECT * FROM ({self._source.query}) civicbus_probe WHERE 1 = 0")
        try:
            with self._engine.connect() as connection:
                columns = list(connection.execute(probe, self._source.query_params).keys())
        except sa.exc.DBAPIError as exc:
            raise AdapterConfigError(
                f"{self._adapter}: {where}: the database refused its query "
                f"({database_message(exc)}); correct `query` or `query_params`"
            ) from exc
        wanted = [f.column for f in self._source.fields] + self._source.key
        wanted += self._source.subject
        missing = [name for name in wanted if name not in columns]
        if missing:
            raise AdapterConfigError(
                f"{self._adapter}: {where} names column(s) {', '.join(map(repr, missing))}, "
                f"which its query does not return; it returns {', '.join(columns)} "
                "(names are case-sensitive: alias them in the SELECT)"
            )

    def fetch(self, limit: int) -> list[dict[str, Any]]:
        # fetchmany, not a LIMIT clause: wrapping the SELECT would lose its ORDER BY on
        # MariaDB, and the query is the integrator's to bound.
        with self._engine.connect() as connection:
            result = connection.execute(self._select, self._source.query_params)
            return [dict(row._mapping) for row in result.fetchmany(limit)]

    def finish(
        self,
        consumed: Sequence[Mapping[str, Any]],
        failed: Sequence[tuple[Mapping[str, Any], str]],
    ) -> None:
        """Mark the batch in one transaction, after its events were confirmed."""
        with self._engine.begin() as connection:
            if consumed:
                connection.execute(self._on_consume, [dict(row) for row in consumed])
            if failed:
                connection.execute(
                    self._on_failure, [{**row, "error": error[:2000]} for row, error in failed]
                )
