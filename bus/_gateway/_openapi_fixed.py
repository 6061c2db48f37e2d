"""The OpenAPI description of the gateway's own endpoints (those not generated from the
catalog): the services list, async call state, data-access log, subscriptions, events."""

from __future__ import annotations

from typing import Any

PREFIX = "/api/v1"
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
CALL_STATUS = {
    "type": "object",
    "required": ["id", "operation", "state"],
    "properties": {
        "id": {"type": "string"},
        "operation": {"type": "string"},
        "state": {"type": "string", "enum": ["pending", "completed"]},
        "status": {"type": "integer"},
        "response": {},
    },
}
_SUBSCRIPTION = {
    "type": "object",
    "required": ["id", "event_type", "url", "created_at"],
    "properties": {
        "id": {"type": "string"},
        "event_type": {"type": "string"},
        "url": {"type": "string"},
        "created_at": {"type": "string"},
        "secret": {"type": "string", "description": "Shown once, at creation."},
    },
}


def fixed_paths() -> dict[str, Any]:
    return {
        f"{PREFIX}/services": {"get": _list_services()},
        f"{PREFIX}/messages/{{message_id}}": {"get": _get_message()},
        f"{PREFIX}/data-access/{{person_id}}": {"get": _data_access()},
        f"{PREFIX}/subscriptions": {"post": _subscribe(), "get": _list_subscriptions()},
        f"{PREFIX}/subscriptions/{{subscription_id}}": {"delete": _unsubscribe()},
        f"{PREFIX}/events": {"get": _events()},
    }


def problems(*statuses: int) -> dict[str, Any]:
    return {
        str(status): {
            "description": "A problem (RFC 9457)",
            "content": {"application/problem+json": {"schema": _PROBLEM_REF}},
        }
        for status in statuses
    }


def _list_services() -> dict[str, Any]:
    return {
        "operationId": "list-services",
        "summary": "The operations this client may call, with their schemas.",
        "responses": {
            "200": {
                "description": "Granted operations",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["services"],
                            "properties": {"services": {"type": "array"}},
                        }
                    }
                },
            },
            **problems(401, 429),
        },
    }


def _get_message() -> dict[str, Any]:
    return {
        "operationId": "get-message",
        "summary": "The state and answer of a call made with Prefer: respond-async.",
        "parameters": [
            {"name": "message_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {
                "description": "The call's state; `response` once completed.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/CallStatus"}}
                },
            },
            **problems(401, 404, 429),
        },
    }


def _data_access() -> dict[str, Any]:
    return {
        "operationId": "data-access-log",
        "summary": "Who accessed a person's data, when, through which operation, and why. "
        "Needs the data-access-log privilege.",
        "parameters": [
            {"name": "person_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {
                "description": "Accesses, newest first.",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **problems(401, 403, 429),
        },
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _subscribe() -> dict[str, Any]:
    return {
        "operationId": "subscribe",
        "summary": "Have events of one granted type POSTed to your URL, signed with "
        "HMAC-SHA256 (header Civicbus-Signature: t=<unix>,v1=<hex of '<t>.' + body>).",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["event_type", "url"],
                        "additionalProperties": False,
                        "properties": {
                            "event_type": {"type": "string", "minLength": 1},
                            "url": {"type": "string", "format": "uri", "minLength": 1},
                        },
                    }
                }
            },
        },
        "responses": {
            "201": _json(_SUBSCRIPTION, "Subscribed; keep the secret to check signatures."),
            **problems(400, 401, 403, 413, 415, 422, 429),
        },
    }


def _list_subscriptions() -> dict[str, Any]:
    return {
        "operationId": "list-subscriptions",
        "summary": "Your webhook subscriptions (without their secrets).",
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["subscriptions"],
                    "properties": {"subscriptions": {"type": "array", "items": _SUBSCRIPTION}},
                },
                "Subscriptions",
            ),
            **problems(401, 429),
        },
    }


def _unsubscribe() -> dict[str, Any]:
    return {
        "operationId": "unsubscribe",
        "summary": "Stop a webhook subscription.",
        "parameters": [
            {
                "name": "subscription_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            }
        ],
        "responses": {"204": {"description": "Stopped"}, **problems(401, 404, 429)},
    }


def _events() -> dict[str, Any]:
    return {
        "operationId": "stream-events",
        "summary": "A live server-sent event stream of granted event types (all of them when "
        "no `type` is given). Events published while no stream is open are not kept.",
        "parameters": [
            {
                "name": "type",
                "in": "query",
                "required": False,
                "schema": {"type": "array", "items": {"type": "string"}},
                "style": "form",
                "explode": True,
            }
        ],
        "responses": {
            "200": {
                "description": "SSE frames: `id` the event id, `event` its type, `data` the "
                "CloudEvent as JSON.",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            },
            **problems(401, 403, 429),
        },
    }
