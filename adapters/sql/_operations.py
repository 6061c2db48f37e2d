"""Named statements as bus operations: select, insert, update, upsert and procedure calls,
each one transaction, with values always bound and identifiers only from the checked config.

Idempotent writes: with `request_log` allowed, the request id is recorded in the write's own
transaction (a redelivered request gets the first reply and changes nothing); without it,
update and upsert are idempotent by nature (they set absolute values on a natural key) and
insert is not — a redelivered insert hits the key and is dead-lettered with the message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field, create_model

from adapters._errors import InvalidRequest
from adapters._operation import CallContext, Operation
from adapters.sql._config import OperationConfig
from adapters.sql._errors import translated
from adapters.sql._mapping import python_type
from adapters.sql._schema import LegacySchema

_metadata = sa.MetaData()
request_log = sa.Table(
    "civicbus_sql_requests",
    _metadata,
    sa.Column("request_id", sa.String(64), primary_key=True),
    sa.Column("operation", sa.String(200), nullable=False),
    sa.Column("response", sa.Text, nullable=False),
)


class WriteResult(BaseModel):
    rowcount: int = Field(description="Rows the statement changed (0 for a repeated request).")
    repeated: bool = Field(False, description="True when this request id was already applied.")


class ProcedureResult(BaseModel):
    rows: list[dict[str, Any]] = Field(default_factory=list)
    repeated: bool = False


def field_name(column: str) -> str:
    """A legacy column name as a payload field name: `CASE_NO` -> `case_no`."""
    name = re.sub(r"\W+", "_", column.strip().lower()).strip("_") or "column"
    return f"c_{name}" if name[0].isdigit() else name


def column_type(column: sa.Column[Any]) -> type:
    try:
        found: type = column.type.python_type
    except NotImplementedError:
        return str
    return found if found in (str, int, float, bool, Decimal, date, datetime) else str


class OperationBuilder:
    """Builds the operations of one adapter instance over its engine and reflected schema."""

    def __init__(
        self, adapter: str, engine: sa.Engine, schema: LegacySchema, *, log_requests: bool
    ) -> None:
        self._adapter = adapter
        self._engine = engine
        self._schema = schema
        self._log_requests = log_requests
        if log_requests:
            _metadata.create_all(engine)

    def build(self, config: OperationConfig) -> Operation:
        if config.kind == "procedure":
            return self._procedure(config)
        where = f"operation {config.name!r}"
        assert config.table is not None  # the config model requires it
        table = self._schema.table(config.table, where=where)
        columns = self._schema.columns(
            table, config.columns or list(table.columns.keys()), where=where
        )
        keys = self._schema.columns(table, config.where, where=where)
        if config.kind == "select":
            return self._select(config, table, columns, keys)
        return self._write(config, table, columns, keys)

    def _select(
        self, config: OperationConfig, table: sa.Table, columns: list[Any], keys: list[Any]
    ) -> Operation:
        request = _model(f"{config.name}-request", keys, required=True)
        row = _model(f"{config.name}-row", columns, required=False)
        response: type[BaseModel] = create_model(
            _class_name(f"{config.name}-response"),
            rows=(list[row], ...),  # type: ignore[valid-type]
        )
        query = sa.select(*columns).where(
            *[k == sa.bindparam("k_" + field_name(k.name)) for k in keys]
        )
        query = query.order_by(*table.primary_key.columns).limit(config.limit)

        def invoke(req: BaseModel, context: CallContext) -> BaseModel:
            values = _values(req, keys, prefix="k_")
            with translated(self._adapter, config.name), self._engine.begin() as connection:
                found = connection.execute(query, values).all()
            rows = [
                {field_name(c.name): value for c, value in zip(columns, r, strict=True)}
                for r in found
            ]
            return response.model_validate({"rows": rows})

        return Operation(
            config.name, request, response, invoke, config.description, idempotent=True
        )

    def _write(
        self, config: OperationConfig, table: sa.Table, columns: list[Any], keys: list[Any]
    ) -> Operation:
        written = [c for c in columns if c.name not in {k.name for k in keys}]
        fields = keys + written if config.kind != "insert" else columns
        request = _model(f"{config.name}-request", fields, required=config.kind != "insert")
        statement = self._statement(config, table, columns, keys, written)

        def run(req: BaseModel, connection: sa.Connection) -> BaseModel:
            values = _values(req, fields, prefix="p_")
            result = connection.execute(statement, values)
            return WriteResult(rowcount=max(result.rowcount, 0))

        invoke = self._logged(config.name, run, WriteResult)
        idempotent = self._log_requests or config.kind in ("update", "upsert")
        return Operation(config.name, request, WriteResult, invoke, config.description, idempotent)

    def _statement(
        self,
        config: OperationConfig,
        table: sa.Table,
        columns: list[Any],
        keys: list[Any],
        written: list[Any],
    ) -> sa.Executable:
        # Bind names differ from column names: SQLAlchemy reserves those for its own VALUES.
        binds: dict[str, Any] = {
            c.name: sa.bindparam("p_" + field_name(c.name)) for c in keys + columns
        }
        if config.kind == "update":
            return (
                table.update()
                .where(*[k == binds[k.name] for k in keys])
                .values({c.name: binds[c.name] for c in written})
            )
        values = {c.name: binds[c.name] for c in [*keys, *written]}
        if config.kind == "insert":
            return table.insert().values({c.name: binds[c.name] for c in columns})
        return _upsert(self._engine.dialect.name, table, values, keys, written)

    def _procedure(self, config: OperationConfig) -> Operation:
        assert config.procedure is not None  # the config model requires it
        self._schema.check_procedure(config.procedure, where=f"operation {config.name!r}")
        fields: dict[str, Any] = {
            field_name(name): (python_type(kind), ...) for name, kind in config.parameters.items()
        }
        request: type[BaseModel] = create_model(_class_name(f"{config.name}-request"), **fields)
        preparer = self._engine.dialect.identifier_preparer
        name = preparer.quote(config.procedure)
        arguments = ", ".join(f":{field_name(p)}" for p in config.parameters)
        if self._engine.dialect.name == "postgresql":
            text = sa.text(f"SELECT * FROM {name}({arguments})")  # name checked at start-up
        else:
            text = sa.text(f"CALL {name}({arguments})")

        def run(req: BaseModel, connection: sa.Connection) -> BaseModel:
            result = connection.execute(text, req.model_dump())
            rows = [dict(r._mapping) for r in result] if result.returns_rows else []
            return ProcedureResult.model_validate(
                {"rows": json.loads(json.dumps(rows, default=str))}
            )

        invoke = self._logged(config.name, run, ProcedureResult)
        return Operation(
            config.name, request, ProcedureResult, invoke, config.description, self._log_requests
        )

    def _logged(
        self,
        operation: str,
        run: Callable[[BaseModel, sa.Connection], BaseModel],
        response: type[BaseModel],
    ) -> Callable[[BaseModel, CallContext], BaseModel]:
        def invoke(req: BaseModel, context: CallContext) -> BaseModel:
            with translated(self._adapter, operation), self._engine.begin() as connection:
                if not self._log_requests:
                    return run(req, connection)
                earlier = connection.execute(
                    sa.select(request_log.c.response).where(
                        request_log.c.request_id == context.request_id
                    )
                ).scalar_one_or_none()
                if earlier is not None:
                    return response.model_validate({**json.loads(earlier), "repeated": True})
                reply = run(req, connection)
                connection.execute(
                    request_log.insert().values(
                        request_id=context.request_id,
                        operation=operation,
                        response=reply.model_dump_json(),
                    )
                )
                return reply

        return invoke


def _upsert(
    dialect: str, table: sa.Table, values: Mapping[str, Any], keys: list[Any], written: list[Any]
) -> sa.Executable:
    if dialect in ("mysql", "mariadb"):
        from sqlalchemy.dialects import mysql  # noqa: PLC0415 - only for this backend

        insert = mysql.insert(table).values(values)
        if not written:
            written = keys  # a no-op assignment keeps the statement valid
        return insert.on_duplicate_key_update({c.name: insert.inserted[c.name] for c in written})
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql as backend  # noqa: PLC0415
    elif dialect == "sqlite":
        from sqlalchemy.dialects import sqlite as backend  # type: ignore[no-redef]  # noqa: PLC0415
    else:
        raise InvalidRequest(f"upsert is not supported on {dialect}; use update and insert")
    statement = backend.insert(table).values(values)
    if not written:
        return statement.on_conflict_do_nothing(index_elements=keys)
    return statement.on_conflict_do_update(
        index_elements=keys, set_={c.name: statement.excluded[c.name] for c in written}
    )


def _model(name: str, columns: list[Any], *, required: bool) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for column in columns:
        kind = column_type(column)
        optional = not required and (column.nullable or column.default is not None)
        fields[field_name(column.name)] = (kind | None, None) if optional else (kind, ...)
    model: type[BaseModel] = create_model(_class_name(name), **fields)
    return model


def _values(request: BaseModel, columns: list[Any], *, prefix: str) -> dict[str, Any]:
    data = request.model_dump()
    return {prefix + field_name(c.name): data[field_name(c.name)] for c in columns}


def _class_name(name: str) -> str:
    return "".join(part.title() for part in re.split(r"[^a-zA-Z0-9]+", name) if part)
