"""The JSON Schema of route files, published so editors validate and complete them as they are
typed: a file that starts with

    # yaml-language-server: $schema=<path or URL of route-file.schema.json>

is checked by the YAML language server (VS Code, IntelliJ, Neovim) against the same model the
loader uses. The schema is generated from `RouteFile` and committed beside this module; a test
fails when the two differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from routes._model import RouteFile

SCHEMA_FILE = Path(__file__).with_name("route-file.schema.json")
SCHEMA_ID = "urn:civicbus:schema:route-file"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def route_file_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of a route file, as the keys are written in YAML."""
    schema = RouteFile.model_json_schema(by_alias=True)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        **schema,
        "title": "civicbus route file",
        "description": "Routes: messages from a channel or an adapter source through steps "
        "(validate, translate, filter, choice, split, aggregate, enrich, wiretap, throttle, "
        "delay, call, to, recipients) to channels or legacy operations.",
    }


def route_file_schema_text() -> str:
    """The schema as it is committed: indented JSON with a final newline."""
    return json.dumps(route_file_schema(), indent=2, ensure_ascii=False) + "\n"
