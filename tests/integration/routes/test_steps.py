"""Each step kind, run by the route test kit in memory, on the embedded broker and on RabbitMQ:
the same test, the same expectations, switched by the fixture parameter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from routes import Route
from routes.testing import RouteKit, StandIn, StandInFault
from tests.integration.routes.models import (
    BATCH,
    PAYMENT,
    REVIEW,
    SUMMARY,
    payments_registry,
)

pytestmark = pytest.mark.timeout(120)

kits = pytest.mark.parametrize("route_kit", ["memory", "embedded", "rabbitmq"], indirect=True)
Kit = Callable[..., RouteKit]


def route(steps: list[dict[str, Any]], *, origin: str = PAYMENT, **extra: Any) -> Route:
    return Route.model_validate(
        {"route": "under-test", "from": {"channel": origin}, "steps": steps, **extra}
    )


def payment(n: int, amount: int, city: str = "Springfield") -> dict[str, Any]:
    return {"id": f"p{n}", "amount": amount, "city": city}


@kits
def test_validate_passes_valid_data_and_dead_letters_the_rest(route_kit: Kit):
    kit = route_kit(
        [route([{"validate": {"schema": PAYMENT}}, {"to": {"channel": "out"}}], origin="in")],
        payments_registry(),
        watch=["out"],
    )
    kit.send(PAYMENT, payment(1, 10), channel="in")
    kit.send(
        REVIEW,
        {"payment_id": "x", "amount": 1, "region": "r", "source": "s", "label": "l"},
        channel="in",
    )
    [passed] = kit.received("out", 1)
    [letter] = kit.dead_letters(1)
    assert (passed.data["id"], letter.envelope.type, "id" in letter.reason) == (
        "p1",
        REVIEW,
        True,
    )


@kits
def test_translate_maps_paths_constants_expressions_and_lookups(route_kit: Kit):
    translate = {
        "to": REVIEW,
        "fields": {
            "payment_id": "data.id",
            "amount": "data.amount",
            "region": {"lookup": "regions", "from": "data.city", "default": "unknown"},
            "source": {"const": "population-register"},
            "label": {"expr": 'data.city + " #" + string(data.amount)'},
        },
    }
    kit = route_kit(
        [
            route(
                [{"translate": translate}, {"to": {"channel": "reviews"}}],
                lookups={"regions": {"Springfield": "north"}},
            )
        ],
        payments_registry(),
    )
    kit.send(PAYMENT, payment(1, 250))
    kit.send(PAYMENT, payment(2, 5, city="Shelbyville"))
    assert [e.data for e in kit.received("reviews", 2)] == [
        {
            "payment_id": "p1",
            "amount": 250,
            "region": "north",
            "source": "population-register",
            "label": "Springfield #250",
        },
        {
            "payment_id": "p2",
            "amount": 5,
            "region": "unknown",
            "source": "population-register",
            "label": "Shelbyville #5",
        },
    ]


@kits
def test_translate_by_a_python_function(route_kit: Kit):
    function = "tests.integration.routes.models:review_fields"
    kit = route_kit(
        [route([{"translate": {"to": REVIEW, "function": function}}, {"to": {"channel": "r"}}])],
        payments_registry(),
    )
    kit.send(PAYMENT, payment(1, 7, city="Ogdenville"))
    assert kit.received("r", 1)[0].data["label"] == "OGDENVILLE"


@kits
def test_filter_lets_only_matching_messages_on(route_kit: Kit):
    kit = route_kit(
        [route([{"filter": {"when": "data.amount >= 100"}}, {"to": {"channel": "big"}}])],
        payments_registry(),
    )
    for n, amount in enumerate([5, 150, 99, 100]):
        kit.send(PAYMENT, payment(n, amount))
    kit.send(PAYMENT, payment(9, 999))  # the last one tells the earlier ones have passed
    assert [e.data["amount"] for e in kit.received("big", 3)] == [150, 100, 999]


@kits
def test_choice_routes_by_content_with_an_otherwise(route_kit: Kit):
    choice = {
        "when": [
            {"test": "data.amount > 1000", "steps": [{"to": {"channel": "large"}}]},
            {"test": 'data.city == "Springfield"', "steps": [{"to": {"channel": "local"}}]},
        ],
        "otherwise": [{"to": {"channel": "other"}}],
    }
    kit = route_kit([route([{"choice": choice}])], payments_registry())
    kit.send(PAYMENT, payment(1, 5000))
    kit.send(PAYMENT, payment(2, 10))
    kit.send(PAYMENT, payment(3, 10, city="Capital City"))
    assert (
        [e.data["id"] for e in kit.received("large", 1)],
        [e.data["id"] for e in kit.received("local", 1)],
        [e.data["id"] for e in kit.received("other", 1)],
    ) == (["p1"], ["p2"], ["p3"])


@kits
def test_split_makes_one_message_per_item(route_kit: Kit):
    kit = route_kit(
        [
            route(
                [{"split": {"items": "data.records", "as": PAYMENT}}, {"to": {"channel": "one"}}],
                origin=BATCH,
            )
        ],
        payments_registry(),
    )
    kit.send(BATCH, {"records": [payment(1, 1), payment(2, 2), payment(3, 3)]})
    received = kit.received("one", 3)
    assert sorted(
        (e.data["id"], e.model_extra["splitindex"], e.model_extra["splitsize"]) for e in received
    ) == [("p1", 0, 3), ("p2", 1, 3), ("p3", 2, 3)]


@kits
def test_aggregate_by_size_combines_parts_with_the_same_key(route_kit: Kit):
    aggregate = {"key": "subject", "as": SUMMARY, "size": 2}
    kit = route_kit(
        [route([{"aggregate": aggregate}, {"to": {"channel": "sums"}}])], payments_registry()
    )
    kit.send(PAYMENT, payment(1, 10), subject="a")
    kit.send(PAYMENT, payment(2, 20), subject="b")
    kit.send(PAYMENT, payment(3, 30), subject="a")
    [summary] = kit.received("sums", 1)
    assert (summary.data["key"], [p["id"] for p in summary.data["parts"]]) == ("a", ["p1", "p3"])


@kits
def test_aggregate_completes_by_timeout_and_by_predicate(route_kit: Kit):
    aggregate = {
        "key": "subject",
        "as": SUMMARY,
        "timeout": 0.5,
        "complete_when": 'parts.exists(p, p.city == "END")',
    }
    kit = route_kit(
        [route([{"aggregate": aggregate}, {"to": {"channel": "sums"}}])], payments_registry()
    )
    kit.send(PAYMENT, payment(1, 10), subject="by-predicate")
    kit.send(PAYMENT, payment(2, 20, city="END"), subject="by-predicate")
    kit.send(PAYMENT, payment(3, 30), subject="by-timeout")
    sums = {e.data["key"]: [p["id"] for p in e.data["parts"]] for e in kit.received("sums", 2)}
    assert sums == {"by-predicate": ["p1", "p2"], "by-timeout": ["p3"]}


@kits
def test_enrich_merges_an_operation_reply_into_the_message(route_kit: Kit):
    registry_lookup = StandIn("register.get-person", reply=lambda r: {"name": f"N{r['id']}"})
    enrich = {"operation": "register.get-person", "request": {"id": "data.id"}, "into": "person"}
    kit = route_kit(
        [route([{"enrich": enrich}, {"to": {"channel": "out"}}])],
        payments_registry(),
        operations=[registry_lookup],
    )
    kit.send(PAYMENT, payment(7, 1))
    [out] = kit.received("out", 1)
    assert (out.data["person"], registry_lookup.calls) == ({"name": "Np7"}, [{"id": "p7"}])


@kits
def test_wiretap_sends_a_copy_and_the_message_goes_on(route_kit: Kit):
    kit = route_kit(
        [route([{"wiretap": {"channel": "audit"}}, {"to": {"channel": "main"}}])],
        payments_registry(),
    )
    kit.send(PAYMENT, payment(1, 10))
    assert (kit.received("audit", 1)[0].data, kit.received("main", 1)[0].data) == (
        payment(1, 10),
        payment(1, 10),
    )


@kits
def test_delay_holds_the_message_then_continues_at_the_next_step(route_kit: Kit):
    kit = route_kit(
        [route([{"delay": {"seconds": "300ms"}}, {"to": {"channel": "later"}}])],
        payments_registry(),
    )
    sent = kit.send(PAYMENT, payment(1, 10))
    [later] = kit.received("later", 1)
    assert (later.data, later.correlationid, "routeresume" in later.model_extra) == (
        payment(1, 10),
        sent.id,
        False,
    )


@kits
def test_call_makes_the_reply_the_message(route_kit: Kit):
    check = StandIn("fraud.check", reply={"verdict": "clean"})
    kit = route_kit(
        [route([{"call": {"operation": "fraud.check"}}, {"to": {"channel": "verdicts"}}])],
        payments_registry(),
        operations=[check],
    )
    kit.send(PAYMENT, payment(1, 10))
    [verdict] = kit.received("verdicts", 1)
    assert (verdict.type, verdict.data, check.calls) == (
        "fraud.check.response",
        {"verdict": "clean"},
        [payment(1, 10)],
    )


@kits
def test_to_an_operation_and_a_recipient_list(route_kit: Kit):
    ledger = StandIn("ledger.book", reply={})
    recipients = {
        "to": [{"operation": "ledger.book"}, {"channel": "copy"}],
        "expr": '[data.city == "Springfield" ? "local" : "remote"]',
    }
    kit = route_kit(
        [route([{"recipients": recipients}])],
        payments_registry(),
        operations=[ledger],
        watch=["local", "remote"],
    )
    kit.send(PAYMENT, payment(1, 10))
    kit.send(PAYMENT, payment(2, 20, city="Elsewhere"))
    # Waiting for the channels first: the ledger was called before each copy was sent.
    assert (
        [e.data["id"] for e in kit.received("copy", 2)],
        [e.data["id"] for e in kit.received("local", 1)],
        [e.data["id"] for e in kit.received("remote", 1)],
        [c["id"] for c in ledger.calls],
    ) == (["p1", "p2"], ["p1"], ["p2"], ["p1", "p2"])


@kits
def test_throttle_lets_every_message_through_in_order(route_kit: Kit):
    throttle = {"rate": 200, "burst": 2, "concurrency": 1, "key": "subject"}
    kit = route_kit(
        [route([{"throttle": throttle}, {"to": {"channel": "out"}}])], payments_registry()
    )
    for n in range(6):
        kit.send(PAYMENT, payment(n, n), subject=f"k{n % 2}")
    assert [e.data["id"] for e in kit.received("out", 6)] == [f"p{n}" for n in range(6)]


@kits
def test_a_retryable_fault_is_retried_until_the_operation_answers(route_kit: Kit):
    flaky = StandIn(
        "ledger.book",
        replies=[StandInFault("busy", code="legacy_unavailable", retryable=True), {"ok": 1}],
    )
    kit = route_kit(
        [route([{"call": {"operation": "ledger.book"}}, {"to": {"channel": "booked"}}])],
        payments_registry(),
        operations=[flaky],
    )
    kit.send(PAYMENT, payment(1, 10))
    assert (kit.received("booked", 1)[0].data, len(flaky.calls)) == ({"ok": 1}, 2)


@kits
def test_a_fault_not_in_retry_on_goes_at_once_to_the_named_dead_letter_queue(route_kit: Kit):
    refusing = StandIn("ledger.book", replies=[StandInFault("no such account", retryable=True)])
    kit = route_kit(
        [
            route(
                [{"to": {"operation": "ledger.book"}}],
                errors={"retry_on": ["legacy_unavailable"], "dead_letter": "payments-failed"},
            )
        ],
        payments_registry(),
        operations=[refusing],
    )
    kit.send(PAYMENT, payment(1, 10))
    [letter] = kit.dead_letters(1)
    assert (letter.route, "no such account" in letter.reason, len(refusing.calls)) == (
        "under-test",
        True,
        1,
    )
