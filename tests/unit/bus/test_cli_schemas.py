"""`civicbus schemas list | export | check` against the default registry."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict
from typer.testing import CliRunner, Result

from bus.cli import app
from schemas import Person, default_registry

pytestmark = pytest.mark.usefixtures("isolated_cli")


class PersonWithLanguage(Person):
    """A compatible v2: one new optional field, so every v1 message still reads."""

    preferred_language: str | None = None


class PersonRenamed(BaseModel):
    """An incompatible v2: given_name became first_name, so v1 messages would be refused."""

    model_config = ConfigDict(extra="forbid")

    person_id: str
    first_name: str
    family_name: str


def civicbus(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_list_json_names_every_type_with_its_versions_and_personal_fields() -> None:
    listed = json.loads(civicbus("schemas", "list", "--json").stdout)

    person = next(row for row in listed if row["type"] == "civic.person")
    assert [row["type"] for row in listed] == default_registry().types()
    assert (person["versions"], "given_name" in person["personal_fields"]) == ([1], True)


def test_list_prints_a_table_for_people() -> None:
    result = civicbus("schemas", "list")

    assert "civic.person.address-changed" in result.stdout


def test_export_prints_one_json_object_keyed_by_type_and_version() -> None:
    exported = json.loads(civicbus("schemas", "export").stdout)

    assert exported == default_registry().export()


def test_export_to_a_folder_writes_one_file_per_type_and_version(tmp_path: Path) -> None:
    civicbus("schemas", "export", "--out", str(tmp_path / "out"))

    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "civic.person.address-changed.v1.json",
        "civic.person.v1.json",
        "civicbus.operation.error.v1.json",
    ]


def test_check_accepts_a_compatible_new_version() -> None:
    model = f"{__name__}:PersonWithLanguage"

    result = civicbus("schemas", "check", model, "--type", "civic.person", "--version", "2")

    assert (result.exit_code, result.stdout.startswith("accepted")) == (0, True)


def test_check_refuses_an_incompatible_version_naming_each_break() -> None:
    model = f"{__name__}:PersonRenamed"

    result = civicbus("schemas", "check", model, "--type", "civic.person", "--version", "2")

    assert result.exit_code == 1
    assert "given_name" in result.stdout


def test_check_explains_a_model_path_that_does_not_import() -> None:
    result = civicbus("schemas", "check", "no_such_module:Model", "--type", "x.y", "--version", "1")

    assert (result.exit_code, "cannot import module 'no_such_module'" in result.stderr) == (2, True)


AGENCY_SCHEMAS = """
from pydantic import BaseModel


class PermitRequested(BaseModel):
    permit_id: str
    applicant_id: str


def register(registry):
    registry.register(PermitRequested, type="agency.permit.requested", version=1)
"""


def test_the_schemas_setting_adds_a_deployments_own_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "agency_schemas_one.py").write_text(AGENCY_SCHEMAS)
    (tmp_path / "civicbus.yaml").write_text("schemas: ['agency_schemas_one:register']\n")
    monkeypatch.setattr(sys, "path", list(sys.path))  # the CLI adds the folder

    listed = json.loads(civicbus("schemas", "list", "--json").stdout)

    assert "agency.permit.requested" in [row["type"] for row in listed]


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ("agency_schemas_none:register", "cannot import 'agency_schemas_none'"),
        ("agency_schemas_two:missing", "is not a function"),
        ("agency_schemas_two:clash", "was refused"),
    ],
)
def test_a_bad_schemas_entry_stops_the_command_with_what_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str, said: str
) -> None:
    clash = (
        "\n\ndef clash(registry):\n"
        "    registry.register(PermitRequested, type='civic.person', version=1)\n"
    )
    (tmp_path / "agency_schemas_two.py").write_text(AGENCY_SCHEMAS + clash)
    (tmp_path / "civicbus.yaml").write_text(f"schemas: ['{entry}']\n")
    monkeypatch.setattr(sys, "path", list(sys.path))

    result = civicbus("schemas", "list")

    assert result.exit_code == 2
    assert said in " ".join(result.output.split())
