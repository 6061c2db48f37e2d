"""The SQL adapter's configuration: which legacy database, which tables it watches, which
statements it offers. Names here are identifiers of the legacy schema, checked at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from adapters._config import AdapterConfig
from schemas import TYPE_NAME_PATTERN

Coercion = Literal["str", "int", "decimal", "float", "bool", "date", "datetime"]


class FieldMapping(BaseModel):
    """One legacy column -> one payload field, with the coercions legacy data needs."""

    model_config = ConfigDict(extra="forbid")

    column: str = Field(description="Column name as the legacy schema spells it (case kept).")
    field: str | None = Field(None, description="Payload field; default the column lower-cased.")
    type: Coercion = "str"
    formats: list[str] = Field(
        default_factory=lambda: ["%Y-%m-%d", "%d.%m.%Y", "%Y%m%d"],
        description="strptime formats tried in order for dates and datetimes stored as text.",
    )
    null_values: list[str] = Field(
        default_factory=lambda: ["", "0000-00-00", "0000-00-00 00:00:00"],
        description="Legacy sentinels that mean 'no value' (compared after stripping).",
    )
    encoding: str | None = Field(
        None, description="Decode byte values with this codec (e.g. latin-1) before coercing."
    )
    strip: bool = Field(True, description="Strip CHAR padding and surrounding blanks.")

    @property
    def target(self) -> str:
        return self.field or self.column.lower()


class SourceConfig(BaseModel):
    """One polled table (or view) whose changes become events."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    strategy: Literal["watermark", "outbox", "query"] = "watermark"
    table: str | None = Field(None, description="watermark/outbox: the polled table or view.")
    event_type: str = Field(pattern=TYPE_NAME_PATTERN)
    fields: list[FieldMapping] = Field(min_length=1)
    mapping: str | None = Field(
        None, description="'module:function' turning the row dict into the payload dict."
    )
    watermark: list[str] = Field(
        default_factory=list,
        description="Monotonic column, or columns compared in order (updated_at, id).",
    )
    key: list[str] = Field(
        min_length=1, description="Columns identifying the row (its primary or business key)."
    )
    subject: list[str] = Field(
        default_factory=list, description="Columns forming the subject; default the key."
    )
    batch_size: int = Field(500, ge=1, description="Rows per emitted batch.")
    max_rows_per_poll: int = Field(10_000, ge=1)
    poll_interval: float = Field(1.0, gt=0, description="Seconds between polls when idle.")
    # outbox strategy: the legacy system's own change table
    processed_column: str | None = Field(
        None, description="Outbox: column set to processed_value; when unset rows are deleted."
    )
    processed_value: str = "Y"
    pending_value: str | None = Field(
        "N", description="Outbox: value of processed_column on rows still to publish."
    )
    # query strategy: the integrator's own SELECT and what marks a row done
    query: str | None = Field(
        None,
        description=(
            "Query: a SELECT returning the rows still to publish, in publishing order; values "
            "only as :named parameters from `query_params`. It must no longer return a row "
            "once `on_consume` (or `on_failure`) ran for it."
        ),
    )
    query_params: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="Query: values bound to the SELECT's :parameters."
    )
    on_consume: str | None = Field(
        None,
        description=(
            "Query: statement run per row after the broker confirmed its event, with the row's "
            "columns as :parameters (e.g. UPDATE ... SET DONE = 'Y' WHERE ID = :ID)."
        ),
    )
    on_failure: str | None = Field(
        None,
        description=(
            "Query: statement run per row that could not become an event and was "
            "dead-lettered, with the row's columns and :error bound; default `on_consume`."
        ),
    )

    @model_validator(mode="after")
    def _strategy_needs(self) -> SourceConfig:
        if self.strategy == "query":
            if not (self.query and self.on_consume):
                raise ValueError(
                    f"source {self.name!r} uses the query strategy; give `query` (the SELECT "
                    "of rows to publish) and `on_consume` (the statement marking one done)"
                )
            return self
        if not self.table:
            raise ValueError(f"source {self.name!r} ({self.strategy}) needs a `table`")
        if self.strategy == "watermark" and not self.watermark:
            raise ValueError(
                f"source {self.name!r} uses the watermark strategy but names no `watermark` "
                "column; give a monotonic column, or [updated_at, id]"
            )
        if self.strategy == "outbox" and not self.watermark:
            # The outbox is read in its own order; the key serves as that order.
            self.watermark = list(self.key)
        return self


OperationKind = Literal["select", "insert", "update", "upsert", "procedure"]


class OperationConfig(BaseModel):
    """One named statement offered on the bus; values are always bound parameters."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    kind: OperationKind
    table: str | None = Field(None, description="Table of select/insert/update/upsert.")
    procedure: str | None = Field(None, description="Function (PostgreSQL) or procedure name.")
    columns: list[str] = Field(
        default_factory=list,
        description="select: columns returned; insert/upsert: columns written; update: set.",
    )
    where: list[str] = Field(
        default_factory=list,
        description="select/update: columns matched by equality; upsert: the natural key.",
    )
    parameters: dict[str, Coercion] = Field(
        default_factory=dict, description="procedure: parameter name -> type, in call order."
    )
    limit: int = Field(1000, ge=1, description="select: rows returned at most.")
    description: str = ""

    @model_validator(mode="after")
    def _shape(self) -> OperationConfig:
        if self.kind == "procedure":
            if not self.procedure:
                raise ValueError(f"operation {self.name!r} is a procedure; set `procedure`")
            return self
        if not self.table:
            raise ValueError(f"operation {self.name!r} ({self.kind}) needs a `table`")
        if self.kind in ("update", "upsert") and not self.where:
            raise ValueError(
                f"operation {self.name!r} ({self.kind}) needs `where`: the key columns that "
                "pick the row (for upsert, a unique or primary key)"
            )
        if self.kind != "select" and not self.columns:
            raise ValueError(f"operation {self.name!r} ({self.kind}) needs `columns` to write")
        return self


class SqlConfig(AdapterConfig):
    """`adapters: {benefits-db: {kind: sql, url: postgresql+psycopg://..., sources: [...]}}`"""

    kind: str = "sql"
    url: str = Field(description="SQLAlchemy URL of the legacy database (never altered).")
    state_url: str = Field(
        "sqlite:///.civicbus/sql-state.db",
        description="SQLAlchemy URL of a database civicbus owns, for watermarks.",
    )
    schema_name: str | None = Field(
        None, description="Schema of the legacy tables, if not default."
    )
    request_log: bool = Field(
        False,
        description=(
            "Allow a table civicbus_sql_requests in the legacy database recording each write's "
            "request id in the write's own transaction; off: writes rely on natural-key upserts."
        ),
    )
    sources: list[SourceConfig] = Field(default_factory=list)
    operations: list[OperationConfig] = Field(default_factory=list)
    pool_size: int = Field(5, ge=1)
