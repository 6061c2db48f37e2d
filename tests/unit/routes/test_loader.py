"""Loading route files: a good file loads, and a bad one is refused with its file, line, column
and what was expected, never half-loaded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from routes import LoadedRoute, RouteFileError, load_routes, route

Write = Callable[[str, str], Path]

GOOD = """
# yaml-language-server: $schema=../routes/route-file.schema.json
routes:
  - route: big-orders
    description: Orders over ten lines go to the warehouse.
    from: {channel: shop.order}
    steps:
      - validate: {schema: shop.order}
      - filter: {when: "size(data.lines) > 10"}
      - delay: {seconds: 250ms}
      - to: {channel: warehouse.big-orders}
"""


def problems_of(*paths: Path) -> list[str]:
    with pytest.raises(RouteFileError) as raised:
        load_routes(list(paths))
    return [str(problem) for problem in raised.value.problems]


def test_a_good_file_loads_its_routes_with_their_lines(write: Write) -> None:
    path = write("orders.yaml", GOOD)

    (loaded,) = load_routes([path])

    assert (loaded.name, loaded.file, loaded.position(("steps", 1))) == ("big-orders", path, (8, 9))
    assert loaded.route.steps[2].spec.seconds == 0.25


def test_a_folder_stands_for_its_yaml_files_in_name_order(write: Write, tmp_path: Path) -> None:
    write("b.yml", GOOD.replace("big-orders", "second"))
    write("a.yaml", GOOD)
    write("notes.txt", "not a route")

    assert [r.name for r in load_routes([tmp_path])] == ["big-orders", "second"]


def test_an_unknown_step_kind_is_named_with_the_closest_kind(write: Write) -> None:
    path = write("r.yaml", GOOD.replace("- filter:", "- filtr:"))

    assert problems_of(path) == [
        f"{path}:8:9: route big-orders, steps[1]: 'filtr' is not a step kind (did you mean "
        "'filter'?); the kinds are validate, translate, filter, choice, split, aggregate, "
        "enrich, wiretap, throttle, delay, call, to, recipients"
    ]


def test_a_wrong_value_is_located_at_the_value_without_the_union_tag(write: Write) -> None:
    path = write("r.yaml", GOOD.replace('{when: "size(data.lines) > 10"}', "{when: [1]}"))

    assert problems_of(path) == [
        f"{path}:8:24: route big-orders, steps[1].filter.when: Input should be a valid string"
    ]


def test_an_unknown_option_of_a_step_points_at_its_key_and_lists_the_options(
    write: Write,
) -> None:
    path = write("r.yaml", GOOD.replace("{seconds: 250ms}", "{seconds: 1, jitter: 2}"))

    assert problems_of(path) == [
        f"{path}:9:29: route big-orders, steps[2].delay.jitter: unknown field 'jitter'; "
        "delay takes seconds"
    ]


def test_a_field_mapping_of_no_known_form_is_one_error_listing_the_forms(write: Write) -> None:
    path = write(
        "r.yaml",
        GOOD.replace(
            "      - delay: {seconds: 250ms}\n",
            "      - translate: {fields: {n: {constant: 1}}}\n",
        ),
    )

    assert problems_of(path) == [
        f"{path}:9:33: route big-orders, steps[2].translate.fields.n: expected a path "
        "(data.person.id), {const: value}, {expr: CEL expression} or {lookup: table, from: "
        "path}; got {'constant': 1}"
    ]


def test_a_missing_option_names_the_step_it_belongs_to(write: Write) -> None:
    path = write("r.yaml", GOOD.replace("{seconds: 250ms}", "{}"))

    assert problems_of(path) == [
        f"{path}:9:16: route big-orders, steps[2].delay.seconds: seconds is required here"
    ]


def test_a_yaml_syntax_error_names_the_line_where_parsing_stopped(write: Write) -> None:
    path = write("r.yaml", GOOD.replace("{channel: shop.order}", "{channel: [shop.order}"))

    (problem,) = problems_of(path)

    assert problem.startswith(f"{path}:5:32: not valid YAML: expected ',' or ']', but got '}}'")


def test_a_duplicate_key_is_refused_at_its_second_occurrence(write: Write) -> None:
    path = write("r.yaml", GOOD.replace("    from:", "    route: again\n    from:"))

    assert problems_of(path) == [
        f"{path}:5:5: routes[0]: duplicate key 'route' (first given on line 3); give each key once"
    ]


def test_a_document_that_is_not_a_mapping_says_what_a_route_file_is(write: Write) -> None:
    path = write("r.yaml", "- route: a\n")

    assert problems_of(path) == [
        f"{path}:1:1: a route file is a mapping with the key `routes:` (a list of routes); "
        "this document is a list"
    ]


def test_an_empty_file_and_a_missing_path_are_problems(write: Write, tmp_path: Path) -> None:
    empty = write("empty.yaml", "# nothing yet\n")

    assert problems_of(empty, tmp_path / "gone.yaml") == [
        f"{empty}:1:1: the file is empty; write `routes:` with a list",
        f"{tmp_path / 'gone.yaml'}:0:0: no such file or folder; check the `routes:` setting",
    ]


def test_one_bad_file_keeps_every_file_from_loading_and_all_problems_are_listed(
    write: Write,
) -> None:
    good = write("a.yaml", GOOD)
    bad = write("b.yaml", GOOD.replace("- filter:", "- filtr:").replace("250ms", "soon"))

    problems = problems_of(good, bad)

    assert [p.split(":")[1] for p in problems] == ["8", "9"]
    assert all(p.startswith(str(bad)) for p in problems)


def test_several_documents_in_one_file_each_hold_routes(write: Write) -> None:
    path = write("r.yaml", GOOD + "---\n" + GOOD.replace("big-orders", "other"))

    loaded = load_routes([path])

    assert [(r.name, r.position()[0]) for r in loaded] == [("big-orders", 3), ("other", 15)]


def test_a_route_built_in_python_has_no_file_and_no_position() -> None:
    built = LoadedRoute(route("x").from_channel("a").to_channel("b").build())

    assert (built.file, built.position(("steps", 0))) == (None, (0, 0))
