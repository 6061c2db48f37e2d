"""Named statements into the legacy database: reads, writes, upserts and procedures, values
always bound, identifiers checked at start-up, database errors told apart."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from adapters import AdapterConfigError, AdapterHost, CallContext, LegacyFault, Operation
from adapters.sql import SqlAdapter
from bus import Bus, OperationFailed
from examples.legacy.benefits_db import LegacyApplication, households
from tests.integration.sql._configs import sql_config

pytestmark = pytest.mark.timeout(60)

OPERATIONS: list[dict[str, Any]] = [
    {"name": "find-case", "kind": "select", "table": "BEN_CASE", "where": ["CASE_NO"],
     "columns": ["CASE_NO", "CLIENT_NAME", "STATUS", "AMOUNT"]},
    {"name": "open-case", "kind": "insert", "table": "BEN_CASE",
     "columns": ["CASE_NO", "CLIENT_NAME", "STATUS", "START_DT", "CHG_SEQ"]},
    {"name": "set-status", "kind": "update", "table": "BEN_CASE", "where": ["CASE_NO"],
     "columns": ["STATUS"]},
    {"name": "put-household", "kind": "upsert", "table": "Household",
     "where": ["REGION", "HH_NO"], "columns": ["Members", "UPDATED_AT"]},
]  # fmt: skip

INJECTIONS = ['\'; DROP TABLE "BEN_CASE"; --', 'O\'Brien "quoted"', "back\\slash\\", "`tick`; --"]


def _call(adapter: SqlAdapter, name: str, data: dict[str, Any], request_id: str = "r1") -> Any:
    operation: Operation = next(o for o in adapter.operations() if o.name == name)
    request = operation.request.model_validate(data)
    return operation.invoke(request, CallContext(request_id=request_id, correlation_id="c1"))


@pytest.fixture
def adapter(legacy: LegacyApplication, tmp_path: Path) -> Iterator[SqlAdapter]:
    config = sql_config(str(legacy.engine.url), tmp_path, sources=[], operations=OPERATIONS)
    adapter = SqlAdapter("benefits", config)
    adapter.start()
    yield adapter
    adapter.stop()


def test_a_select_replies_with_the_matching_rows(adapter: SqlAdapter, legacy: LegacyApplication):
    legacy.open_case("C1", "Ann", amount=Decimal("10.50"))

    reply = _call(adapter, "find-case", {"case_no": "C1"})

    assert [(r.status, r.amount) for r in reply.rows] == [("OP", Decimal("10.50"))]


def test_injection_strings_are_stored_verbatim_and_never_executed(adapter: SqlAdapter):
    for number, text in enumerate(INJECTIONS):
        row = {"case_no": f"X{number}", "client_name": text, "status": "OP",
               "start_dt": "0000-00-00", "chg_seq": number + 1}  # fmt: skip
        _call(adapter, "open-case", row, request_id=f"r{number}")

    names = [_call(adapter, "find-case", {"case_no": f"X{n}"}).rows[0].client_name
             for n in range(len(INJECTIONS))]  # fmt: skip
    assert names == INJECTIONS


def test_an_upsert_applied_twice_leaves_one_row(adapter: SqlAdapter, legacy: LegacyApplication):
    row = {"region": "TLN", "hh_no": 7, "members": 3, "updated_at": "2024-01-02T03:04:05"}

    _call(adapter, "put-household", row)
    _call(adapter, "put-household", {**row, "members": 4})

    with legacy.engine.connect() as connection:
        found = connection.execute(sa.select(households.c.Members)).scalars().all()
    assert found == [4]


def test_a_constraint_violation_is_a_final_fault_with_the_database_message(
    adapter: SqlAdapter, legacy: LegacyApplication
):
    legacy.open_case("C1", "Ann")
    duplicate = {"case_no": "C1", "client_name": "Bob", "status": "OP", "start_dt": "",
                 "chg_seq": 99}  # fmt: skip

    with pytest.raises(LegacyFault) as caught:
        _call(adapter, "open-case", duplicate)

    assert caught.value.retryable is False


def test_an_unknown_column_is_a_start_up_error_naming_it(legacy: LegacyApplication, tmp_path: Path):
    wrong = [{**OPERATIONS[0], "columns": ["CASE_NO", "STATUSS"]}]
    adapter = SqlAdapter(
        "benefits", sql_config(str(legacy.engine.url), tmp_path, sources=[], operations=wrong)
    )

    with pytest.raises(AdapterConfigError, match=r"'STATUSS'.*did you mean 'STATUS'"):
        adapter.start()
    adapter.stop()


# SQLite has no stored procedures: the servers only.
@pytest.mark.parametrize("legacy_url", ["postgresql", "mariadb"], indirect=True)
def test_an_update_sets_the_row_and_a_procedure_call_closes_the_case(
    legacy: LegacyApplication, tmp_path: Path
):
    close = {"name": "close-case", "kind": "procedure", "procedure": "CLOSE_CASE",
             "parameters": {"p_case_no": "str"}}  # fmt: skip
    config = sql_config(
        str(legacy.engine.url), tmp_path, sources=[], operations=[*OPERATIONS, close]
    )
    adapter = SqlAdapter("benefits", config)
    adapter.start()
    legacy.open_case("C1", "Ann")
    legacy.open_case("C2", "Bob")
    try:
        _call(adapter, "set-status", {"case_no": "C1", "status": "PA"})
        _call(adapter, "close-case", {"p_case_no": "C2"})
        statuses = [
            _call(adapter, "find-case", {"case_no": c}).rows[0].status for c in ("C1", "C2")
        ]
    finally:
        adapter.stop()

    assert statuses == ["PA", "CL"]


@pytest.mark.parametrize("broker_url", ["rabbitmq"], indirect=True)
def test_a_constraint_violation_reaches_the_bus_caller_as_a_final_legacy_fault(
    legacy: LegacyApplication, bus_factory: Callable[..., Bus], tmp_path: Path
):
    legacy.open_case("C1", "Ann")
    config = sql_config(str(legacy.engine.url), tmp_path, sources=[], operations=OPERATIONS)
    bus = bus_factory()
    host = AdapterHost(bus, [SqlAdapter("benefits", config)])
    host.start()
    bus.start()
    assert bus.wait_ready(30)
    duplicate = {"case_no": "C1", "client_name": "Bob", "status": "OP", "start_dt": "",
                 "chg_seq": 99}  # fmt: skip
    try:
        with pytest.raises(OperationFailed) as failed:
            bus.call("benefits.open-case", duplicate, timeout=30)
    finally:
        host.stop()

    error = failed.value.error
    # The database's own words: "duplicate key" (PostgreSQL), "Duplicate entry" (MariaDB),
    # "UNIQUE constraint failed" (SQLite).
    database_said = re.search(r"duplicate|unique", error.message, re.IGNORECASE) is not None
    assert (error.code, error.retryable, database_said) == ("legacy_fault", False, True)
