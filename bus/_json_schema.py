"""Validating data against a JSON Schema from the shared catalog, with the same error type as
the schema registry (`InvalidMessage` naming `data.<field>`), so callers that only know an
operation's schema, not its pydantic model, reject bad requests the same way."""

from __future__ import annotations

import functools
import json
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, ConfigDict

from schemas import FieldProblem, InvalidMessage

_MAX_PROBLEMS = 20


class CanonicalData(BaseModel):
    """A reply payload known only by its JSON Schema: its fields are the JSON object's keys."""

    model_config = ConfigDict(extra="allow")


def validate_json(schema: dict[str, Any], data: Any, *, location: str = "data") -> None:
    """Raise InvalidMessage listing what in `data` breaks `schema` (at most 20 problems)."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    problems = [
        FieldProblem(".".join([location, *map(str, error.absolute_path)]), error.message)
        for error in errors[:_MAX_PROBLEMS]
    ]
    raise InvalidMessage(problems)


@functools.lru_cache(maxsize=256)
def _validator(schema_text: str) -> Draft202012Validator:
    # Keyed by the schema's text: a catalog row re-read with the same schema reuses the
    # compiled validator; a changed schema gets a new one.
    schema = json.loads(schema_text)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise InvalidMessage(
            [FieldProblem("dataschema", f"the catalog holds an invalid JSON Schema: {exc.message}")]
        ) from None
    return Draft202012Validator(schema)
