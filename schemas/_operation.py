"""The canonical reply of an operation call that did not produce a result."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

OPERATION_ERROR_TYPE = "civicbus.operation.error"

# Every `OperationError.code` the bus and the adapter SDK give, so a route's `retry_on` can be
# checked before it runs; an adapter error class with a new code must be added here too.
OPERATION_ERROR_CODES = frozenset(
    {
        "adapter_error",
        "circuit_open",
        "internal_error",
        "invalid_request",
        "legacy_fault",
        "legacy_timeout",
        "legacy_unavailable",
        "unknown_operation",
    }
)


class OperationError(BaseModel):
    """Why a call to a legacy operation has no result, and whether trying again may help.

    `code` tells apart faults of the legacy system (`legacy_fault`, with its own `fault_code`)
    from the bus's own errors (`legacy_unavailable`, `legacy_timeout`, `circuit_open`,
    `invalid_request`, `unknown_operation`, `internal_error`).
    """

    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    retryable: bool
    adapter: str
    operation: str
    fault_code: str | None = None
    detail: Any = None
    retry_after: float | None = Field(None, ge=0, description="Seconds before a retry may work.")
