"""The Python builder makes the very Route a route file makes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from routes import Route, RouteFileError, Target, load_routes, route, steps

Write = Callable[[str, str], Path]

YAML = """
routes:
  - route: address-moves
    description: Moves into Utrecht are recorded; others are logged.
    from: {channel: civic.person.address-changed}
    steps:
      - validate: {schema: civic.person.address-changed, version: 1}
      - filter: {when: "data.address.country == 'NL'"}
      - throttle: {rate: 5, burst: 2, key: data.person_id}
      - enrich: {operation: records.get-record, request: {key: data.person_id}, into: before}
      - choice:
          when:
            - test: "data.address.city == 'Utrecht'"
              steps:
                - translate:
                    to: records.put-record.request
                    fields:
                      key: data.person_id
                      value: {lookup: cities, from: data.address.city, default: other}
                - call: {operation: records.put-record, timeout: 5s}
          otherwise:
            - wiretap: {channel: moves.elsewhere}
      - split: {items: data.lines, as: shop.order-line}
      - aggregate: {as: shop.order, size: 10, timeout: 1m, complete_when: "count > 3"}
      - delay: {seconds: 250ms}
      - recipients: {to: [{channel: a.b}, {operation: records.put-record}], expr: "['c.d']"}
      - to: {channel: moves.done}
    errors: {max_attempts: 2, backoff: [1s, 30s], retry_on: [legacy_timeout]}
    lookups:
      cities: {Utrecht: UT}
"""


def built() -> Route:
    return (
        route("address-moves", "Moves into Utrecht are recorded; others are logged.")
        .from_channel("civic.person.address-changed")
        .validate("civic.person.address-changed", version=1)
        .filter("data.address.country == 'NL'")
        .throttle(rate=5, burst=2, key="data.person_id")
        .enrich("records.get-record", request={"key": "data.person_id"}, into="before")
        .choice(
            {
                "data.address.city == 'Utrecht'": steps()
                .translate(
                    to="records.put-record.request",
                    fields={
                        "key": "data.person_id",
                        "value": {
                            "lookup": "cities",
                            "from": "data.address.city",
                            "default": "other",
                        },
                    },
                )
                .call("records.put-record", timeout="5s")
            },
            otherwise=steps().wiretap("moves.elsewhere"),
        )
        .split("data.lines", as_="shop.order-line")
        .aggregate(as_="shop.order", size=10, timeout="1m", complete_when="count > 3")
        .delay("250ms")
        .recipients("a.b", Target(operation="records.put-record"), expr="['c.d']")
        .to_channel("moves.done")
        .errors(max_attempts=2, backoff=["1s", "30s"], retry_on=["legacy_timeout"])
        .lookup("cities", {"Utrecht": "UT"})
        .build()
    )


def test_yaml_and_the_builder_give_an_equal_route(write: Write) -> None:
    (loaded,) = load_routes([write("moves.yaml", YAML)])

    assert built() == loaded.route


def test_the_builder_refuses_what_a_file_would_refuse_with_the_same_words() -> None:
    with pytest.raises(RouteFileError) as raised:
        route("incomplete").from_channel("a").throttle(burst=2).build()

    assert [str(p) for p in raised.value.problems] == [
        "route incomplete, steps[0].throttle: give rate, concurrency or both"
    ]


def test_a_route_needs_an_origin_and_a_step() -> None:
    with pytest.raises(RouteFileError) as raised:
        route("empty").build()

    assert [str(p) for p in raised.value.problems] == [
        "route empty, from: from is required here",
        "route empty, steps: List should have at least 1 item after validation, not 0",
    ]
