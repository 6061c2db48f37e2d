"""The SQL adapter kind: a legacy relational database's changes as events, and named
statements into it as operations. The legacy schema is only read (reflected), never altered;
watermarks live in a database civicbus owns."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import structlog

from adapters._base import Adapter, Health
from adapters._errors import AdapterConfigError
from adapters._operation import Operation, Source
from adapters.sql._config import SourceConfig, SqlConfig
from adapters.sql._errors import database_message
from adapters.sql._mapping import payload_model, row_mapper
from adapters.sql._operations import OperationBuilder
from adapters.sql._poller import Poller
from adapters.sql._query import CustomQuery
from adapters.sql._schema import LegacySchema, check_config
from adapters.sql._state import WatermarkStore

log = structlog.get_logger("civicbus.adapter.sql")


def connect_args(url: str, timeout: float) -> dict[str, Any]:
    """Driver options that bound every statement and connection attempt by `timeout`."""
    backend = sa.make_url(url).get_backend_name()
    millis = max(1, int(timeout * 1000))
    seconds = max(1, int(timeout + 0.999))
    if backend == "postgresql":
        return {
            "connect_timeout": seconds,
            "options": f"-c statement_timeout={millis} -c lock_timeout={millis}",
        }
    if backend in ("mysql", "mariadb"):
        return {"connect_timeout": seconds, "read_timeout": seconds, "write_timeout": seconds}
    if backend == "sqlite":
        return {"timeout": timeout, "check_same_thread": False}
    return {}


def create_legacy_engine(config: SqlConfig) -> sa.Engine:
    options: dict[str, Any] = {"pool_pre_ping": True}
    backend = sa.make_url(config.url).get_backend_name()
    if backend != "sqlite":
        options.update(pool_size=config.pool_size, max_overflow=config.concurrency)
    return sa.create_engine(
        config.url, connect_args=connect_args(config.url, config.timeout), **options
    )


class SqlAdapter(Adapter[SqlConfig]):
    """One legacy database: polled sources and named statements."""

    kind = "sql"
    config_model = SqlConfig

    def __init__(self, name: str, config: SqlConfig) -> None:
        super().__init__(name, config)
        self.engine = create_legacy_engine(config)
        self._operations: list[Operation] = []
        self._sources: list[Source] = []
        self._store: WatermarkStore | None = None
        self._probe: sa.Executable = sa.text("SELECT 1")

    def start(self) -> None:
        # Reflection needs the database: an unreachable one is a start-up error, since the
        # config cannot be checked against it (and nothing unchecked is ever executed).
        try:
            schema = LegacySchema(self.engine, self.config.schema_name, self.name)
        except sa.exc.DBAPIError as exc:
            raise AdapterConfigError(
                f"{self.name}: cannot read the legacy schema at "
                f"{self.engine.url.render_as_string(hide_password=True)} "
                f"({database_message(exc)}); check the url and that the database is up"
            ) from exc
        check_config(schema, self.config)
        builder = OperationBuilder(
            self.name, self.engine, schema, log_requests=self.config.request_log
        )
        self._operations = [builder.build(op) for op in self.config.operations]
        if self.config.sources:
            self._store = WatermarkStore(self.config.state_url)
        self._sources = [self._source(schema, s) for s in self.config.sources]
        self._probe = _health_probe(schema, self.config)
        log.info("sql_adapter_started", adapter=self.name, backend=self.engine.dialect.name)

    def _source(self, schema: LegacySchema, config: SourceConfig) -> Source:
        assert self._store is not None  # made above whenever there are sources
        model = payload_model(config)
        table, query = None, None
        if config.strategy == "query":
            query = CustomQuery(self.name, self.engine, config)
            query.check()
        else:
            assert config.table is not None  # the config model requires it for this strategy
            table = schema.table(config.table, where=f"source {config.name!r}")
        poller = Poller(
            adapter=self.name,
            engine=self.engine,
            table=table,
            source=config,
            model=model,
            mapper=row_mapper(config),
            store=self._store,
            query=query,
        )
        what = f"Changes of {config.table}" if table is not None else "Rows of a custom query"
        return Source(
            config.name, model, config.event_type, poller.run, f"{what} ({config.strategy})."
        )

    def stop(self) -> None:
        self.engine.dispose()
        if self._store is not None:
            self._store.close()

    def health(self) -> Health:
        try:
            with self.engine.connect() as connection:
                connection.execute(self._probe)
        except sa.exc.DBAPIError as exc:
            return Health(ok=False, detail=f"database did not answer: {database_message(exc)}")
        return Health(ok=True, detail=f"{self.engine.dialect.name} answered")

    def operations(self) -> list[Operation]:
        return list(self._operations)

    def sources(self) -> list[Source]:
        return list(self._sources)


def _health_probe(schema: LegacySchema, config: SqlConfig) -> sa.Executable:
    """A read of one table the adapter uses, returning no row: healthy means the tables
    answer within the timeout, not only the server (a table locked by a long legacy job
    makes every poll and call wait, so health says so)."""
    names = [s.table for s in config.sources] + [o.table for o in config.operations]
    name = next((n for n in names if n), None)
    if name is None:
        return sa.text("SELECT 1")
    table = schema.table(name, where="health probe")
    return sa.select(sa.literal(1)).select_from(table).where(sa.false())
