"""Subscribing to event types by webhook: create, list and remove a client's subscriptions
(blocking functions, run in the gateway's thread pool)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bus._gateway._audit import CallRecord
from bus._gateway._problems import Problem, invalid
from bus._gateway._service import Answer, GatewayService, parse_json
from bus._gateway._subscriptions import Subscription, SubscriptionStore, check_url
from schemas import FieldProblem

PREFIX = "/api/v1"


def _shown(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "event_type": subscription.event_type,
        "url": subscription.url,
        "created_at": subscription.created_at.isoformat(),
    }


def subscribe(
    service: GatewayService,
    store: SubscriptionStore,
    headers: Mapping[str, str],
    raw: bytes,
    record: CallRecord,
    *,
    changed: Callable[[], None],
) -> Answer:
    client = service.client(headers, record)
    data = parse_json(raw, headers.get("content-type"))
    problems = [
        FieldProblem(f"data.{name}", "required: a non-empty string")
        for name in ("event_type", "url")
        if not isinstance(data.get(name), str) or not data.get(name)
    ]
    problems += [
        FieldProblem(f"data.{name}", "unknown field; send event_type and url")
        for name in data
        if name not in ("event_type", "url")
    ]
    if problems:
        raise invalid(problems)
    event_type, url = str(data["event_type"]), str(data["url"])
    record.operation = f"subscribe:{event_type}"
    if not client.may("event", event_type):
        raise Problem(
            "forbidden",
            f"client {client.name} is not granted event type {event_type}; ask the bus "
            f"operators (`civicbus clients grant {client.name} --event {event_type}`)",
        )
    check_url(url)
    subscription = store.add(client.name, event_type, url)
    changed()
    return Answer(
        201,
        {**_shown(subscription), "secret": subscription.secret},
        {"Location": f"{PREFIX}/subscriptions/{subscription.id}"},
    )


def list_subscriptions(
    service: GatewayService,
    store: SubscriptionStore,
    headers: Mapping[str, str],
    record: CallRecord,
) -> Answer:
    client = service.client(headers, record)
    return Answer(200, {"subscriptions": [_shown(s) for s in store.of_client(client.name)]})


def unsubscribe(
    service: GatewayService,
    store: SubscriptionStore,
    headers: Mapping[str, str],
    record: CallRecord,
    subscription_id: str,
    *,
    changed: Callable[[], None],
) -> Answer:
    client = service.client(headers, record)
    if not store.remove(client.name, subscription_id):
        raise Problem("not-found", f"no subscription {subscription_id} of client {client.name}")
    changed()
    return Answer(204, None)


def stream_types(
    service: GatewayService, headers: Mapping[str, str], record: CallRecord, asked: list[str]
) -> list[str]:
    """The event types a stream carries: those asked for (all granted ones if none), each
    of which must be granted."""
    client = service.client(headers, record)
    types = asked or sorted(client.events)
    record.operation = "stream:" + ",".join(types)
    refused = [t for t in types if not client.may("event", t)]
    if refused or not types:
        raise Problem(
            "forbidden",
            f"client {client.name} is not granted event types {refused or '(none at all)'}; "
            f"ask the bus operators (`civicbus clients grant {client.name} --event <type>`)",
        )
    return types
