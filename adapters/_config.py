"""The configuration every adapter kind shares: how it protects its legacy system."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class BreakerPolicy(BaseModel):
    """Circuit breaker: after `failure_threshold` failures in a row calls fail fast for
    `reset_timeout` seconds, then one probe call decides whether to close again."""

    model_config = ConfigDict(extra="forbid")

    failure_threshold: int = Field(5, ge=1)
    reset_timeout: float = Field(30.0, gt=0)


class RetryPolicy(BaseModel):
    """Retries of errors that can pass (never of a fault about the request itself)."""

    model_config = ConfigDict(extra="forbid")

    attempts: int = Field(3, ge=1, description="Tries in all, the first included.")
    backoff_initial: float = Field(0.1, ge=0)
    backoff_max: float = Field(2.0, ge=0)


class AdapterConfig(BaseModel):
    """Base of every adapter kind's config model; kinds add their own fields."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="The adapter kind, as registered under civicbus.adapters.")
    concurrency: int = Field(8, ge=1, description="Calls in flight to the legacy system at most.")
    timeout: float = Field(10.0, gt=0, description="Seconds one call may take.")
    breaker: BreakerPolicy = Field(default_factory=BreakerPolicy)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
