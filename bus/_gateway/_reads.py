"""The gateway's read-only endpoints, as blocking functions run in its thread pool: the
catalog a client may use, an async call's state, and the data-access log of a person."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bus._gateway._access_log import DataAccessLog
from bus._gateway._audit import CallRecord
from bus._gateway._calls import CallStore
from bus._gateway._clients import DATA_ACCESS_LOG
from bus._gateway._problems import Problem
from bus._gateway._schemas import operation_schemas
from bus._gateway._service import Answer, GatewayService

PREFIX = "/api/v1"


def list_services(
    service: GatewayService, headers: Mapping[str, str], record: CallRecord
) -> Answer:
    client = service.client(headers, record)
    listed = []
    for entry in service.bus.catalog.entries():
        if not client.may("operation", entry.name):
            continue
        request_schema, response_schema = operation_schemas(service.bus, entry)
        listed.append(
            {
                "name": entry.name,
                "adapter": entry.adapter,
                "operation": entry.operation,
                "description": entry.description,
                "idempotent": entry.idempotent,
                "href": f"{PREFIX}/services/{entry.adapter}/{entry.operation}",
                "request_schema": request_schema,
                "response_schema": response_schema,
            }
        )
    return Answer(200, {"services": listed})


def message_status(
    service: GatewayService,
    calls: CallStore,
    headers: Mapping[str, str],
    record: CallRecord,
    message_id: str,
) -> Answer:
    client = service.client(headers, record)
    found = calls.find(message_id)
    if found is None or found.client != client.name:
        raise Problem("not-found", f"no call {message_id} of client {client.name}")
    found = service.settle_abandoned(found)
    record.operation = found.operation
    document: dict[str, Any] = {"id": found.id, "operation": found.operation, "state": found.state}
    if found.state == "completed":
        document["status"] = found.status
        document["response"] = found.body
        return Answer(200, document)
    return Answer(200, document, {"Retry-After": "1"})


def data_access(
    service: GatewayService,
    access_log: DataAccessLog,
    headers: Mapping[str, str],
    record: CallRecord,
    person_id: str,
) -> Answer:
    client = service.client(headers, record)
    if not client.may("privilege", DATA_ACCESS_LOG):
        raise Problem(
            "forbidden",
            f"client {client.name} lacks the {DATA_ACCESS_LOG} privilege; ask the bus "
            f"operators (`civicbus clients grant {client.name} --privilege {DATA_ACCESS_LOG}`)",
        )
    accesses = [
        {
            "at": access.at.isoformat(),
            "client": access.client,
            "operation": access.operation,
            "purpose": access.purpose,
            "end_user": access.end_user,
            "request_id": access.request_id,
            "status": access.status,
        }
        for access in access_log.of_person(person_id)
    ]
    return Answer(200, {"person_id": person_id, "accesses": accesses})
