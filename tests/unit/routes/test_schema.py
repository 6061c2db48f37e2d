"""The committed JSON Schema of route files is the one the model makes today."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import routes
from bus.cli import app

COMMITTED = Path(routes.__file__).with_name("route-file.schema.json")
REGENERATE = "civicbus routes schema > routes/route-file.schema.json"


def test_the_committed_schema_is_what_civicbus_routes_schema_prints() -> None:
    printed = CliRunner().invoke(app, ["routes", "schema"]).stdout

    assert printed == COMMITTED.read_text(encoding="utf-8"), (
        f"routes/route-file.schema.json is stale; regenerate it with `{REGENERATE}`"
    )


def test_the_schema_lists_every_step_kind_and_accepts_durations_with_units() -> None:
    schema = routes.route_file_schema()
    steps = schema["$defs"]["Route"]["properties"]["steps"]["items"]["oneOf"]
    delay = schema["$defs"]["DelaySpec"]["properties"]["seconds"]

    assert len(steps) == 13
    assert [form["type"] for form in delay["anyOf"]] == ["number", "string"]


def test_the_schema_is_draft_2020_12_with_an_id() -> None:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))

    assert (schema["$schema"], schema["$id"], schema["required"]) == (
        "https://json-schema.org/draft/2020-12/schema",
        "urn:civicbus:schema:route-file",
        ["routes"],
    )
