"""Canonical test schemas for route tests, and the registry that holds them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from schemas import SchemaRegistry

PAYMENT = "test.payment.recorded"
REVIEW = "test.payment.review"
BATCH = "test.payment.batch"
SUMMARY = "test.payment.summary"
OUTCOME = "test.payment.outcome"


class Payment(BaseModel):
    id: str
    amount: int = Field(ge=0)
    city: str = ""


class Review(BaseModel):
    payment_id: str
    amount: int
    region: str
    source: str
    label: str


class Batch(BaseModel):
    records: list[dict[str, Any]]


class Summary(BaseModel):
    key: str
    count: int
    parts: list[dict[str, Any]]


class Outcome(BaseModel):
    payment_id: str
    decision: str
    total: int


def payments_registry() -> SchemaRegistry:
    registry = SchemaRegistry()
    registry.register(Payment, type=PAYMENT, version=1)
    registry.register(Review, type=REVIEW, version=1)
    registry.register(Batch, type=BATCH, version=1)
    registry.register(Summary, type=SUMMARY, version=1)
    registry.register(Outcome, type=OUTCOME, version=1)
    return registry


def review_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A translate function, imported by its path from a route."""
    return {
        "payment_id": data["id"],
        "amount": data["amount"],
        "region": "north",
        "source": "function",
        "label": data["city"].upper(),
    }
