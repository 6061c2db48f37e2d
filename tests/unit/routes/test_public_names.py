"""The public surface of routes is pinned: changing it is a deliberate act."""

from __future__ import annotations

import routes


def test_the_loading_checking_and_building_names_are_exported() -> None:
    assert {
        "LoadedRoute",
        "OperationTypes",
        "Problem",
        "RouteBuilder",
        "RouteFileError",
        "Steps",
        "World",
        "check_routes",
        "load_routes",
        "route",
        "route_file_schema",
        "steps",
        "topic_matches",
    } <= set(routes.__all__)


def test_the_running_names_are_exported() -> None:
    assert {"CompiledRoute", "RouteHost", "RouteReloader", "checked_routes"} <= set(routes.__all__)


def test_the_export_list_is_sorted_and_every_name_exists() -> None:
    assert routes.__all__ == sorted(routes.__all__)
    assert all(hasattr(routes, name) for name in routes.__all__)
