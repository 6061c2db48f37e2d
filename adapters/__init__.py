"""Adapter SDK: the interface a legacy-system adapter implements, the protections it gets,
and the registry that finds adapter kinds by entry point. The built-in kinds live in
`adapters.soap` (and later `adapters.sql`, `adapters.filedrop`); `adapters.testing` is the
contract test kit every kind's tests subclass.
"""

from adapters._base import Adapter, Health
from adapters._breaker import BreakerState
from adapters._config import AdapterConfig, BreakerPolicy, RetryPolicy
from adapters._emitter import BusEmitter
from adapters._errors import (
    AdapterConfigError,
    AdapterError,
    CircuitOpen,
    InvalidRequest,
    LegacyFault,
    LegacyTimeout,
    LegacyUnavailable,
    UnknownAdapterKind,
    UnknownOperation,
)
from adapters._guard import Guard
from adapters._host import AdapterHost, AdapterStatus
from adapters._operation import (
    CallContext,
    Emitter,
    Invoke,
    Operation,
    Source,
    SourceEvent,
    kebab_case,
)
from adapters._registry import (
    ENTRY_POINT_GROUP,
    adapter_kind,
    adapter_kind_names,
    adapter_kinds,
    build_adapter,
)
from adapters._scaffold import ScaffoldError, scaffold_kind

__all__ = [
    "ENTRY_POINT_GROUP",
    "Adapter",
    "AdapterConfig",
    "AdapterConfigError",
    "AdapterError",
    "AdapterHost",
    "AdapterStatus",
    "BreakerPolicy",
    "BreakerState",
    "BusEmitter",
    "CallContext",
    "CircuitOpen",
    "Emitter",
    "Guard",
    "Health",
    "InvalidRequest",
    "Invoke",
    "LegacyFault",
    "LegacyTimeout",
    "LegacyUnavailable",
    "Operation",
    "RetryPolicy",
    "ScaffoldError",
    "Source",
    "SourceEvent",
    "UnknownAdapterKind",
    "UnknownOperation",
    "adapter_kind",
    "adapter_kind_names",
    "adapter_kinds",
    "build_adapter",
    "kebab_case",
    "scaffold_kind",
]
