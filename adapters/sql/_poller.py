"""Polling change capture: read rows past the saved position (watermark strategy), rows
still pending in the legacy system's outbox, or the rows of the integrator's own query, emit
them, and only then commit the progress (save the watermark, mark or delete the outbox rows,
run the query's on_consume / on_failure statements).

A crash between emit and commit re-emits the same rows with the same keys, so consumers drop
the copies by message id: nothing is lost, nothing is handled twice.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
import structlog
from pydantic import BaseModel, ValidationError

from adapters._operation import Emitter, SourceEvent
from adapters.sql._config import SourceConfig
from adapters.sql._mapping import RowMapper, UnreadableValue
from adapters.sql._query import CustomQuery
from adapters.sql._state import Position, WatermarkStore
from bus import PublishError

log = structlog.get_logger("civicbus.adapter.sql")

# Seconds to wait before polling again after the legacy database failed, at most.
_MAX_BACKOFF = 30.0


class Poller:
    """One source of one SQL adapter instance."""

    def __init__(
        self,
        *,
        adapter: str,
        engine: sa.Engine,
        table: sa.Table | None,
        source: SourceConfig,
        model: type[BaseModel],
        mapper: RowMapper,
        store: WatermarkStore,
        query: CustomQuery | None = None,
    ) -> None:
        self._adapter = adapter
        self._engine = engine
        self._table = table
        self._source = source
        self._model = model
        self._mapper = mapper
        self._store = store
        self._query = query
        self._order = [] if table is None else [table.columns[n] for n in source.watermark]
        # Keys begin with the table, or the source's name for a query over any tables.
        self._prefix = table.name if table is not None else source.name
        self._position: Position | None = None
        self._loaded = False

    def run(self, emitter: Emitter, stop: threading.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                emitted = self.poll(emitter, stop)
            except (sa.exc.DBAPIError, PublishError) as exc:
                # Lost connections, lock timeouts and a broker that did not confirm pass; the
                # pool's pre-ping replaces a dead connection on the next poll, and nothing was
                # committed, so the same rows come again under the same keys.
                failures += 1
                wait = min(_MAX_BACKOFF, self._source.poll_interval * failures)
                log.warning(
                    "source_poll_failed",
                    adapter=self._adapter,
                    source=self._source.name,
                    error=str(getattr(exc, "orig", None) or exc).strip()[:500],
                    retry_in=wait,
                )
                stop.wait(wait)
                continue
            failures = 0
            if emitted < self._source.max_rows_per_poll:
                stop.wait(self._source.poll_interval)

    def poll(self, emitter: Emitter, stop: threading.Event | None = None) -> int:
        """Emit what changed since the last commit, up to `max_rows_per_poll` rows."""
        if not self._loaded:
            self._position = self._store.load(self._adapter, self._source.name)
            self._loaded = True
        source = self._source
        total = 0
        while total < source.max_rows_per_poll and not (stop and stop.is_set()):
            limit = min(source.batch_size, source.max_rows_per_poll - total)
            rows = self._fetch(limit)
            if not rows:
                break
            events, failed = self._events(rows, emitter)
            emitter.emit(events)
            self._commit(rows, failed)
            total += len(rows)
            if len(rows) < limit:
                break
        return total

    def _fetch(self, limit: int) -> list[Mapping[str, Any]]:
        if self._query is not None:
            return list(self._query.fetch(limit))
        assert self._table is not None  # every other strategy polls a table
        query = sa.select(self._table).order_by(*self._order).limit(limit)
        source = self._source
        if source.strategy == "outbox":
            if source.processed_column and source.pending_value is not None:
                query = query.where(
                    self._table.columns[source.processed_column] == source.pending_value
                )
        elif self._position is not None:
            query = query.where(_after(self._order, self._position))
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def _events(
        self, rows: Sequence[Mapping[str, Any]], emitter: Emitter
    ) -> tuple[list[SourceEvent], list[tuple[Mapping[str, Any], str]]]:
        events, failed = [], []
        for row in rows:
            key = self._key(row)
            try:
                payload = self._model.model_validate(self._mapper(row))
            except (UnreadableValue, ValidationError, ValueError) as exc:
                emitter.reject(
                    json.dumps(dict(row), default=str).encode(),
                    reason="unreadable_row",
                    detail={"table": self._prefix, "key": key, "error": str(exc)[:2000]},
                )
                log.warning("source_row_rejected", source=self._source.name, key=key)
                failed.append((row, str(exc)))
                continue
            events.append(SourceEvent(payload, key=key, subject=self._subject(row)))
        return events, failed

    def _key(self, row: Mapping[str, Any]) -> str:
        # table:pk:watermark names this change of this row for good, so a replay dedups.
        source = self._source
        parts = [self._prefix, _joined(row, source.key)]
        if source.strategy == "watermark":
            parts.append(_joined(row, source.watermark))
        return ":".join(parts)

    def _subject(self, row: Mapping[str, Any]) -> str:
        return _joined(row, self._source.subject or self._source.key)

    def _commit(
        self,
        rows: Sequence[Mapping[str, Any]],
        failed: Sequence[tuple[Mapping[str, Any], str]],
    ) -> None:
        source = self._source
        if self._query is not None:
            failed_ids = {id(row) for row, _ in failed}
            self._query.finish([r for r in rows if id(r) not in failed_ids], failed)
            return
        assert self._table is not None  # every other strategy polls a table
        if source.strategy == "watermark":
            position = tuple(rows[-1][name] for name in source.watermark)
            self._store.save(self._adapter, source.name, position)
            self._position = position
            return
        keys = [self._table.columns[name] for name in source.key]
        match = sa.tuple_(*keys).in_([tuple(row[k.name] for k in keys) for row in rows])
        if len(keys) == 1:
            match = keys[0].in_([row[keys[0].name] for row in rows])
        statement: sa.Update | sa.Delete
        if source.processed_column:
            statement = (
                self._table.update()
                .where(match)
                .values({source.processed_column: source.processed_value})
            )
        else:
            statement = self._table.delete().where(match)
        with self._engine.begin() as connection:
            connection.execute(statement)


def _after(columns: Sequence[sa.ColumnElement[Any]], position: Position) -> sa.ColumnElement[bool]:
    """Rows strictly after `position` in the lexicographic order of `columns`, written out
    as (a > x) OR (a = x AND b > y) ... because not every backend compares row values."""
    clauses = []
    for index, column in enumerate(columns):
        equal = [columns[i] == position[i] for i in range(index)]
        clauses.append(sa.and_(*equal, column > position[index]))
    return sa.or_(*clauses)


def _joined(row: Mapping[str, Any], columns: Sequence[str]) -> str:
    return "|".join(_text(row[name]) for name in columns)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "isoformat"):
        text: str = value.isoformat()
        return text
    return str(value).strip()
