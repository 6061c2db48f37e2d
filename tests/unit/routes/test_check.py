"""Checking routes against a world: each problem names the route, the step and the line, and
says what to do; a route that fits its world has none."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from routes import World, check_routes, load_routes

Write = Callable[[str, str], Path]

# A route that fits the test world: an order becomes a put-record request and is sent on.
GOOD = """
routes:
  - route: orders-to-records
    from: {channel: shop.order}
    steps:
      - validate: {schema: shop.order}
      - filter: {when: "data.city == 'Utrecht'"}
      - translate:
          to: records.put-record.request
          fields:
            key: data.order_id
            value: {expr: "data.city"}
      - call: {operation: records.put-record}
      - to: {channel: records.stored}
    errors: {retry_on: [legacy_unavailable, circuit_open]}
"""


def check(write: Write, world: World, text: str) -> list[str]:
    path = write("r.yaml", text)
    return [str(p).removeprefix(f"{path}:") for p in check_routes(load_routes([path]), world)]


def test_a_route_that_fits_its_world_has_no_problems(write: Write, world: World) -> None:
    assert check(write, world, GOOD) == []


def test_a_misspelt_schema_is_named_with_the_registered_one(write: Write, world: World) -> None:
    problems = check(write, world, GOOD.replace("{schema: shop.order}", "{schema: shop.ordr}"))

    assert problems == [
        "5:28: route orders-to-records, step 0:validate: schema 'shop.ordr' is not registered "
        "(did you mean 'shop.order'?)"
    ]


def test_a_schema_version_that_does_not_exist_lists_those_that_do(
    write: Write, world: World
) -> None:
    text = GOOD.replace("{schema: shop.order}", "{schema: shop.order, version: 2}")

    assert check(write, world, text) == [
        "5:28: route orders-to-records, step 0:validate: schema 'shop.order' has no version 2; "
        "it has v1"
    ]


def test_a_call_whose_input_is_not_the_request_type_says_to_translate(
    write: Write, world: World
) -> None:
    text = GOOD.replace("records.put-record}", "records.get-record}")

    assert check(write, world, text) == [
        "12:27: route orders-to-records, step 3:call: records.get-record takes "
        "records.get-record.request, but the message here is records.put-record.request; "
        "translate it first (translate: {to: records.get-record.request, fields: ...})"
    ]


def test_an_unknown_operation_is_named_with_the_close_one_and_the_known_ones(
    write: Write, world: World
) -> None:
    text = GOOD.replace("{operation: records.put-record}", "{operation: records.put-recrd}")

    assert check(write, world, text) == [
        "12:27: route orders-to-records, step 3:call: operation 'records.put-recrd' does not "
        "exist (did you mean 'records.put-record'?); known: records.get-record, "
        "records.put-record"
    ]


def test_translate_fields_must_be_fields_of_the_target_and_cover_its_required_ones(
    write: Write, world: World
) -> None:
    text = GOOD.replace("            value:", "            vale:")

    assert check(write, world, text) == [
        "10:13: route orders-to-records, step 2:translate: records.put-record.request requires "
        "value, which the mapping does not set; map them (or keep: true to start from the "
        "input's fields)",
        "11:13: route orders-to-records, step 2:translate: records.put-record.request has no "
        "field 'vale' (did you mean 'value'?); its fields: key, value",
    ]


def test_a_path_reads_only_fields_of_the_type_that_reaches_the_step(
    write: Write, world: World
) -> None:
    text = GOOD.replace("key: data.order_id", "key: data.orderid")

    assert check(write, world, text) == [
        "10:18: route orders-to-records, step 2:translate: reads data.orderid but shop.order "
        "has no field 'orderid' (did you mean 'order_id'?); its fields: order_id, city, lines"
    ]


def test_bad_cel_is_refused_with_the_parser_s_reason(write: Write, world: World) -> None:
    text = GOOD.replace("\"data.city == 'Utrecht'\"", '"data.city =="')

    (problem,) = check(write, world, text)

    assert problem.startswith(
        "6:24: route orders-to-records, step 1:filter: 'data.city ==' is not valid CEL: "
        "Syntax error: mismatched input '<EOF>'"
    )


def test_cel_may_use_only_what_a_message_has(write: Write, world: World) -> None:
    text = GOOD.replace("\"data.city == 'Utrecht'\"", "\"city == 'Utrecht'\"")

    assert check(write, world, text) == [
        "6:24: route orders-to-records, step 1:filter: \"city == 'Utrecht'\" uses city, which "
        "a message does not have; an expression here sees correlationid, data, id, source, "
        "splitindex, splitsize, subject, time, type"
    ]


def test_an_unknown_retry_code_is_named_with_the_known_codes(write: Write, world: World) -> None:
    text = GOOD.replace("circuit_open]", "circuit_opened]")

    (problem,) = check(write, world, text)

    assert problem.startswith(
        "14:45: route orders-to-records, errors.retry_on: 'circuit_opened' is not an operation "
        "error code (did you mean 'circuit_open'?)"
    )


def test_a_route_name_used_twice_across_files_names_the_first(write: Write, world: World) -> None:
    first = write("a.yaml", GOOD)
    second = write("b.yaml", GOOD.replace("records.stored", "records.saved"))

    problems = check_routes(load_routes([first, second]), world)

    assert [str(p) for p in problems] == [
        f"{second}:2:12: route orders-to-records: route name 'orders-to-records' is already "
        f"used ({first}:2); names identify routes in the journal and dead-letter queues, so "
        "give each its own"
    ]


def test_an_unknown_source_is_a_problem_and_a_known_one_gives_the_input_type(
    write: Write, world: World
) -> None:
    from_source = GOOD.replace("{channel: shop.order}", "{source: shop.orders}")
    unknown = GOOD.replace("{channel: shop.order}", "{source: shop.ordrs}")

    assert check(write, world, from_source) == []
    assert check(write, world, unknown) == [
        "3:20: route orders-to-records, from: source 'shop.ordrs' does not exist (did you mean "
        "'shop.orders'?); known: shop.orders"
    ]


def test_each_choice_branch_starts_from_the_choice_s_input_and_is_labelled_as_it_runs(
    write: Write, world: World
) -> None:
    text = """
routes:
  - route: by-size
    from: {channel: "shop.#", type: shop.order}
    steps:
      - choice:
          when:
            - test: "size(data.lines) > 10"
              steps:
                - split: {items: data.lines, as: shop.order-line}
                - to: {operation: records.get-record}
          otherwise:
            - translate: {to: records.put-record.request, fields: {key: data.sku}}
"""

    assert check(write, world, text) == [
        "10:35: route by-size, step 0.when0.1:to: records.get-record takes "
        "records.get-record.request, but the message here is shop.order-line; translate it "
        "first (translate: {to: records.get-record.request, fields: ...})",
        "12:67: route by-size, step 0.else.0:translate: records.put-record.request requires "
        "value, which the mapping does not set; map them (or keep: true to start from the "
        "input's fields)",
        "12:73: route by-size, step 0.else.0:translate: reads data.sku but shop.order has no "
        "field 'sku'; its fields: order_id, city, lines",
    ]


def test_a_wildcard_channel_without_a_type_leaves_the_type_unknown(
    write: Write, world: World
) -> None:
    text = GOOD.replace("{channel: shop.order}", '{channel: "shop.*"}').replace(
        "      - validate: {schema: shop.order}\n", ""
    )

    assert check(write, world, text) == []


def test_an_aggregate_inside_a_choice_is_refused_by_the_compiler_at_its_line(
    write: Write, world: World
) -> None:
    text = """
routes:
  - route: batches
    from: {channel: shop.order}
    steps:
      - choice:
          when:
            - test: "true"
              steps:
                - aggregate: {as: shop.order, size: 2}
"""

    assert check(write, world, text) == [
        "9:19: route batches, step 0.when0.0:aggregate: aggregate must be a top-level step, "
        "not inside a choice"
    ]


def test_a_translate_function_that_cannot_be_imported_is_named(write: Write, world: World) -> None:
    text = GOOD.replace(
        """          fields:
            key: data.order_id
            value: {expr: "data.city"}
""",
        "          function: shop.nowhere:to_record\n",
    )

    assert check(write, world, text) == [
        "9:21: route orders-to-records, step 2:translate: cannot import 'shop.nowhere' for "
        "'shop.nowhere:to_record': No module named 'shop'"
    ]


def test_a_lookup_table_the_route_does_not_define_is_named(write: Write, world: World) -> None:
    text = GOOD.replace('value: {expr: "data.city"}', "value: {lookup: regions, from: data.city}")

    assert check(write, world, text) == [
        "11:29: route orders-to-records, step 2:translate: lookup table 'regions' is not "
        "defined under the route's `lookups:` (defined: none)"
    ]


def test_an_expression_reads_only_fields_of_the_type_that_reaches_it(
    write: Write, world: World
) -> None:
    text = GOOD.replace("\"data.city == 'Utrecht'\"", "\"data.town == 'data.nowhere'\"")

    assert check(write, world, text) == [
        "6:24: route orders-to-records, step 1:filter: \"data.town == 'data.nowhere'\" reads "
        "data.town but shop.order has no field 'town'; its fields: order_id, city, lines"
    ]


def test_what_an_enrich_adds_may_be_read_until_the_message_changes_type(
    write: Write, world: World
) -> None:
    text = """
routes:
  - route: enriched
    from: {channel: shop.order}
    steps:
      - enrich:
          operation: records.get-record
          request: {key: data.order_id}
          into: stored
      - filter: {when: "data.stored.value != ''"}
      - enrich: {operation: records.get-record, request: {key: data.order_id}}
      - translate:
          to: records.put-record.request
          fields: {key: data.stored.key, value: data.value}
      - translate:
          to: records.put-record.request
          fields: {key: data.stored, value: data.value}
"""

    assert check(write, world, text) == [
        "16:25: route enriched, step 4:translate: reads data.stored but "
        "records.put-record.request has no field 'stored'; its fields: key, value"
    ]
