"""`civicbus adapters list | new` on the installed kinds and a config file's instances."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bus.cli import (
    _adapters,  # noqa: F401 — registers `adapters` on the app until the lead wires it
    app,
)

pytestmark = pytest.mark.usefixtures("isolated_cli")

CONFIG = """
adapters:
  records:
    kind: example
    seed: {"1": "one"}
"""


def civicbus(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def configured(text: str) -> None:
    Path("civicbus.yaml").write_text(text)


def test_list_json_names_the_example_kind_with_its_own_config_fields() -> None:
    listed = json.loads(civicbus("adapters", "list", "--json").stdout)
    example = next(kind for kind in listed["kinds"] if kind["name"] == "example")
    assert [f["name"] for f in example["config_fields"]] == ["seed", "latency"]


def test_list_without_check_starts_nothing_and_reports_no_health() -> None:
    configured(CONFIG)
    listed = json.loads(civicbus("adapters", "list", "--json").stdout)
    assert listed["instances"] == [
        {
            "name": "records",
            "kind": "example",
            "health": None,
            "circuit": None,
            "operations": None,
            "error": None,
        }
    ]


def test_list_check_reports_health_circuit_and_operations() -> None:
    configured(CONFIG)
    listed = json.loads(civicbus("adapters", "list", "--json", "--check").stdout)
    (records,) = listed["instances"]
    assert (records["health"]["ok"], records["circuit"], records["operations"]) == (
        True,
        "closed",
        ["get-record", "put-record"],
    )


def test_an_instance_of_a_misspelt_kind_is_reported_with_a_suggestion_and_exit_code_1() -> None:
    configured("adapters:\n  records:\n    kind: exampel\n")
    result = civicbus("adapters", "list", "--json")
    (records,) = json.loads(result.stdout)["instances"]
    assert (result.exit_code, "did you mean 'example'" in records["error"]) == (1, True)


def test_list_table_shows_the_instance_and_its_kind() -> None:
    configured(CONFIG)
    result = civicbus("adapters", "list", "--check")
    assert "records" in result.stdout
    assert "get-record" in result.stdout


def test_new_writes_the_package_into_the_given_folder(tmp_path: Path) -> None:
    result = civicbus("adapters", "new", "land-register", "--dir", str(tmp_path / "src"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "src" / "civicbus-adapter-land-register" / "pyproject.toml").is_file()


def test_new_refuses_an_invalid_name_with_usage_exit_code() -> None:
    result = civicbus("adapters", "new", "Land_Register")
    assert (result.exit_code, "land-register" in result.stderr) == (2, True)


@pytest.mark.parametrize("command", ["list", "new"])
def test_every_command_help_has_an_example(command: str) -> None:
    assert "Example: civicbus adapters" in civicbus("adapters", command, "--help").stdout
