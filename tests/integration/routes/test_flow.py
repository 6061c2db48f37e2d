"""A flow of four routes: a batch is split into payments, routed by content to two legacy
operations, and the outcomes are aggregated back into one summary of the batch."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bus import Hop
from routes import Route
from routes.testing import BusKit, RouteKit, StandIn
from schemas import new_traceparent, trace_id
from tests.integration.routes.models import BATCH, OUTCOME, SUMMARY, payments_registry

pytestmark = pytest.mark.timeout(120)

FLOW = [
    {
        "route": "split-payments",
        "from": {"channel": BATCH},
        "steps": [
            {"split": {"items": "data.records", "as": "test.payment.recorded"}},
            {
                "choice": {
                    "when": [
                        {
                            "test": "data.amount > 1000",
                            "steps": [{"to": {"channel": "payments.large"}}],
                        }
                    ],
                    "otherwise": [{"to": {"channel": "payments.small"}}],
                }
            },
        ],
    },
    {
        "route": "review-large",
        "from": {"channel": "payments.large"},
        "steps": [
            {"enrich": {"operation": "review.flag", "request": {"id": "data.id"}, "into": "r"}},
            {
                "translate": {
                    "to": OUTCOME,
                    "fields": {
                        "payment_id": "data.id",
                        "decision": "data.r.decision",
                        "total": {"expr": "splitsize"},
                    },
                }
            },
            {"to": {"channel": OUTCOME}},
        ],
    },
    {
        "route": "book-small",
        "from": {"channel": "payments.small"},
        "steps": [
            {"enrich": {"operation": "ledger.book", "into": "booking"}},
            {
                "translate": {
                    "to": OUTCOME,
                    "fields": {
                        "payment_id": "data.id",
                        "decision": "data.booking.status",
                        "total": {"expr": "splitsize"},
                    },
                }
            },
            {"to": {"channel": OUTCOME}},
        ],
    },
    {
        "route": "summarise",
        "from": {"channel": OUTCOME},
        "steps": [
            {
                "aggregate": {
                    "key": "correlationid",
                    "as": SUMMARY,
                    "complete_when": "count == parts[0].total",
                }
            },
            {"to": {"channel": SUMMARY}},
        ],
    },
]


@pytest.mark.parametrize("route_kit", ["memory", "embedded", "rabbitmq"], indirect=True)
def test_a_split_batch_is_routed_to_two_operations_and_summarised_once(
    route_kit: Callable[..., RouteKit],
):
    review = StandIn("review.flag", reply={"decision": "held-for-review"})
    ledger = StandIn("ledger.book", reply={"status": "booked"})
    kit = route_kit(
        [Route.model_validate(r) for r in FLOW], payments_registry(), operations=[review, ledger]
    )
    amounts = {"p1": 50, "p2": 5000, "p3": 70, "p4": 9000}
    records = [{"id": k, "amount": v} for k, v in amounts.items()]
    batch = kit.send(BATCH, {"records": records}, traceparent=new_traceparent())

    [summary] = kit.received(SUMMARY, 1)
    decisions = sorted((p["payment_id"], p["decision"]) for p in summary.data["parts"])
    # One flow, one trace: every route's message is a span of the batch's trace.
    assert (
        summary.correlationid,
        trace_id(summary.traceparent),
        summary.data["count"],
        decisions,
    ) == (
        batch.id,
        trace_id(batch.traceparent),
        4,
        [("p1", "booked"), ("p2", "held-for-review"), ("p3", "booked"), ("p4", "held-for-review")],
    )
    assert (sorted(c["id"] for c in review.calls), sorted(c["id"] for c in ledger.calls)) == (
        ["p2", "p4"],
        ["p1", "p3"],
    )
    if isinstance(kit, BusKit):
        assert_journal_shows_the_path(kit, batch.id)


def assert_journal_shows_the_path(kit: BusKit, batch_id: str) -> None:
    journal = kit.bus.journal
    assert journal is not None
    journal.flush()
    record = journal.find(batch_id)
    assert record is not None
    [routed] = [hop for hop in record.hops if hop.hop == Hop.ROUTED]
    # The batch went through the split; its four items through the choice and, inside it,
    # through the branch their amount chose: each step with how often it ran and its time.
    steps = [(s["step"], s["count"], s["outputs"]) for s in routed.detail["steps"]]
    # In the order first seen: p1 (small) took the otherwise branch before p2 the first one.
    assert (routed.consumer, steps) == (
        "route.split-payments",
        [("0:split", 1, 4), ("1.else.0:to", 2, 2), ("1:choice", 4, 4), ("1.when0.0:to", 2, 2)],
    )
    assert all(s["ms"] >= 0 for s in routed.detail["steps"])
