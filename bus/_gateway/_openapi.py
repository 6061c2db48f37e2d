"""The OpenAPI 3.1 document of the gateway, built from the catalog: one path per operation,
its request and response bodies the canonical JSON Schemas (their `$defs` moved under
`components/schemas`, so every `$ref` resolves within the document)."""

from __future__ import annotations

import copy
from typing import Any

from bus._catalog import OperationEntry
from bus._gateway._audit import END_USER_HEADER, PURPOSE_HEADER
from bus._gateway._openapi_fixed import CALL_STATUS, fixed_paths, problems
from bus._gateway._problems import PROBLEM_SCHEMA
from bus._gateway._schemas import operation_schemas
from bus._runtime import Bus

PREFIX = "/api/v1"


def openapi_document(bus: Bus) -> dict[str, Any]:
    components: dict[str, Any] = {"Problem": PROBLEM_SCHEMA, "CallStatus": CALL_STATUS}
    paths: dict[str, Any] = fixed_paths()
    for entry in bus.catalog.entries():
        request_schema, response_schema = operation_schemas(bus, entry)
        request_ref = _component(components, entry.request_type, request_schema)
        response_ref = _component(components, entry.response_type, response_schema)
        path = f"{PREFIX}/services/{entry.adapter}/{entry.operation}"
        paths[path] = {"post": _call(entry, request_ref, response_ref)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "civicbus gateway",
            "version": "1",
            "description": "Legacy public-sector systems behind one interface. Authenticate "
            "with an API key (X-API-Key) or an OAuth2 client-credentials token (Bearer). "
            f"State why you call in {PURPOSE_HEADER} and for whom in {END_USER_HEADER}: "
            "calls about a person are shown to that person in the data-access log.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
        "security": [{"apiKey": []}, {"bearer": []}],
    }


def _component(components: dict[str, Any], name: str, schema: dict[str, Any]) -> dict[str, str]:
    schema = copy.deepcopy(schema)
    definitions = schema.pop("$defs", {})
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    renames = {f"#/$defs/{d}": f"#/components/schemas/{name}.{d}" for d in definitions}
    for definition, body in definitions.items():
        components[f"{name}.{definition}"] = _rewrite(body, renames)
    components[name] = _rewrite(schema, renames)
    return {"$ref": f"#/components/schemas/{name}"}


def _rewrite(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: renames.get(value, value) if key == "$ref" else _rewrite(value, renames)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite(item, renames) for item in node]
    return node


_AUDIT_HEADERS = [
    {
        "name": PURPOSE_HEADER,
        "in": "header",
        "required": False,
        "description": "Why the data is needed (recorded in the journal and data-access log).",
        "schema": {"type": "string"},
    },
    {
        "name": END_USER_HEADER,
        "in": "header",
        "required": False,
        "description": "The end user on whose behalf the service calls (an official's id).",
        "schema": {"type": "string"},
    },
]


def _call(entry: OperationEntry, request_ref: Any, response_ref: Any) -> dict[str, Any]:
    return {
        "operationId": entry.name,
        "summary": entry.description or entry.name,
        "tags": [entry.adapter],
        "parameters": [
            *_AUDIT_HEADERS,
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "A retry with the same key returns the first answer; the "
                "legacy system is called once.",
                "schema": {"type": "string", "maxLength": 200},
            },
            {
                "name": "Prefer",
                "in": "header",
                "required": False,
                "description": "`respond-async`: answer 202 at once; poll the Location.",
                "schema": {"type": "string"},
            },
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": request_ref}},
        },
        "responses": {
            "200": {
                "description": "The legacy system's answer, as the canonical response.",
                "content": {"application/json": {"schema": response_ref}},
            },
            "202": {
                "description": "Accepted (Prefer: respond-async); poll the Location header.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/CallStatus"}}
                },
            },
            **problems(400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 502, 503, 504),
        },
    }
