"""`civicbus routes list | check | schema` on route files and a config with the example
adapter, as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bus.cli import app

pytestmark = pytest.mark.usefixtures("isolated_cli")

CONFIG = """
adapters:
  records:
    kind: example
routes: [routes/]
"""

ROUTE = """
routes:
  - route: moves-to-records
    from: {channel: civic.person.address-changed}
    steps:
      - validate: {schema: civic.person.address-changed}
      - translate:
          to: records.put-record.request
          fields: {key: data.person_id, value: data.address.city}
      - call: {operation: records.put-record}
      - to: {channel: records.stored}
"""


def civicbus(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def configured(route_text: str = ROUTE) -> None:
    Path("civicbus.yaml").write_text(CONFIG)
    Path("routes").mkdir()
    Path("routes/moves.yaml").write_text(route_text.lstrip("\n"))


def problem_lines(result: Result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("routes/")]


def test_check_passes_routes_that_fit_the_configured_adapters() -> None:
    configured()

    result = civicbus("routes", "check")

    assert (result.exit_code, result.stdout.splitlines()[-1]) == (
        0,
        "1 routes in 1 files are ready to run",
    )


def test_check_lists_every_problem_with_its_line_and_exits_1() -> None:
    configured(
        ROUTE.replace("{schema: civic.person.address-changed}", "{schema: civic.persn}").replace(
            "records.put-record}", "records.put-recrd}"
        )
    )

    result = civicbus("routes", "check")

    assert result.exit_code == 1
    assert problem_lines(result) == [
        "routes/moves.yaml:5:28: route moves-to-records, step 0:validate: schema "
        "'civic.persn' is not registered (did you mean 'civic.person'?)",
        "routes/moves.yaml:9:27: route moves-to-records, step 2:call: operation "
        "'records.put-recrd' does not exist (did you mean 'records.put-record'?); known: "
        "records.get-record, records.put-record",
    ]
    assert result.stderr.splitlines()[-1].startswith("2 problems;")


def test_check_of_named_files_reports_a_file_that_does_not_load() -> None:
    Path("civicbus.yaml").write_text(CONFIG.replace("routes: [routes/]\n", ""))
    Path("bad.yaml").write_text(
        "routes:\n  - route: x\n    from: {channel: a}\n    steps: [{fliter: {}}]\n"
    )

    result = civicbus("routes", "check", "bad.yaml")

    assert (result.exit_code, result.stdout.splitlines()[0]) == (
        1,
        "bad.yaml:4:13: route x, steps[0]: 'fliter' is not a step kind (did you mean 'filter'?); "
        "the kinds are validate, translate, filter, choice, split, aggregate, enrich, wiretap, "
        "throttle, delay, call, to, recipients",
    )


def test_without_files_or_a_routes_setting_check_says_how_to_name_them() -> None:
    result = civicbus("routes", "check")

    assert (result.exit_code, result.stderr) == (
        2,
        "error: no route files: name them (civicbus routes check routes/) or set `routes:` in "
        "civicbus.yaml\n",
    )


def test_list_json_shows_name_origin_steps_and_file_line() -> None:
    configured()

    listed = json.loads(civicbus("routes", "list", "--json").stdout)

    assert listed == [
        {
            "route": "moves-to-records",
            "origin": "channel civic.person.address-changed",
            "steps": "validate civic.person.address-changed > translate records.put-record.request"
            " > call records.put-record > to records.stored",
            "file": "routes/moves.yaml:2",
        }
    ]
