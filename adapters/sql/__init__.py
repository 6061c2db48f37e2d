"""The SQL adapter kind: change capture from a legacy database (watermark or outbox polling)
and named, parameterised statements into it. Registered as the entry point `sql` in the group
`civicbus.adapters`."""

from adapters.sql._adapter import SqlAdapter, connect_args, create_legacy_engine
from adapters.sql._config import FieldMapping, OperationConfig, SourceConfig, SqlConfig
from adapters.sql._mapping import UnreadableValue, coerce, payload_model, row_mapper
from adapters.sql._operations import ProcedureResult, WriteResult, field_name
from adapters.sql._poller import Poller
from adapters.sql._query import CustomQuery
from adapters.sql._schema import LegacySchema, check_config
from adapters.sql._state import WatermarkStore

__all__ = [
    "CustomQuery",
    "FieldMapping",
    "LegacySchema",
    "OperationConfig",
    "Poller",
    "ProcedureResult",
    "SourceConfig",
    "SqlAdapter",
    "SqlConfig",
    "UnreadableValue",
    "WatermarkStore",
    "WriteResult",
    "check_config",
    "coerce",
    "connect_args",
    "create_legacy_engine",
    "field_name",
    "payload_model",
    "row_mapper",
]
