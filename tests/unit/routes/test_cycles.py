"""Cycles between routes are found through topic patterns, and printed hop by hop."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from routes import World, check_routes, load_routes, route, steps, topic_matches

Write = Callable[[str, str], Path]


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        ("shop.order", "shop.order", True),
        ("shop.*", "shop.order", True),
        ("shop.*", "shop.order.big", False),
        ("shop.#", "shop", True),
        ("shop.#", "shop.order.big", True),
        ("#.big", "shop.order.big", True),
        ("#", "anything.at.all", True),
        ("*.order", "order", False),
        ("shop.*.big", "shop.big", False),
        ("shop.order", "shop.orders", False),
    ],
)
def test_topic_patterns_match_as_rabbitmq_binds_them(pattern: str, key: str, matches: bool) -> None:
    assert topic_matches(pattern, key) is matches


def test_a_route_sending_to_its_own_input_is_a_cycle_of_one(write: Write, world: World) -> None:
    path = write(
        "r.yaml",
        """
routes:
  - route: echo
    from: {channel: "shop.#"}
    steps:
      - filter: {when: "true"}
      - wiretap: {channel: shop.audit}
""",
    )

    problems = check_routes(load_routes([path]), world)

    assert [str(p) for p in problems] == [
        f"{path}:6:28: route echo, step 1:wiretap: sends to shop.audit, which its own input "
        "shop.# matches: every message would come back for ever; send to another channel"
    ]


def test_a_cycle_through_three_routes_prints_its_path_once(world: World) -> None:
    routes = [
        route("a").from_channel("x.in").to_channel("y.in").build(),
        route("b")
        .from_channel("y.*")
        .choice({"true": steps().to_channel("z.in")}, otherwise=steps().to_channel("done"))
        .build(),
        route("c").from_channel("z.#").recipients("x.in", "log").build(),
        route("d").from_channel("done").to_channel("x.elsewhere").build(),
    ]

    problems = check_routes(routes, world)

    assert [str(p) for p in problems] == [
        "route a, step 0:to: routes form a cycle: a (0:to sends to y.in) -> b (0.when0.0:to "
        "sends to z.in) -> c (0:recipients sends to x.in) -> a (from x.in); break it so "
        "messages cannot come round again"
    ]


def test_routes_that_only_flow_forward_have_no_cycle(world: World) -> None:
    routes = [
        route("a").from_channel("x.in").to_channel("y.in").build(),
        route("b").from_channel("y.in").wiretap("x.audit").to_channel("z.out").build(),
    ]

    assert check_routes(routes, world) == []
