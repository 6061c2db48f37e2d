"""Adapter configs over the legacy benefits schema, shared by the SQL tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from adapters.sql import SqlConfig


class BenefitCase(BaseModel):
    case_no: str | None
    client_name: str | None
    status: str | None


CASE_FIELDS: list[dict[str, Any]] = [
    {"column": "CASE_NO"},
    {"column": "CLIENT_NAME"},
    {"column": "STATUS"},
    {"column": "AMOUNT", "type": "decimal"},
    {"column": "START_DT", "type": "date", "formats": ["%d.%m.%Y"]},
]


def case_source(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "cases",
        "table": "BEN_CASE",
        "event_type": "benefits.case.changed",
        "fields": CASE_FIELDS,
        "watermark": ["CHG_SEQ"],
        "key": ["CASE_NO"],
        "poll_interval": 0.05,
    }
    values.update(overrides)
    return values


def sql_config(url: str, tmp_path: Path, **overrides: Any) -> SqlConfig:
    values: dict[str, Any] = {
        "url": url,
        "state_url": f"sqlite:///{tmp_path / 'sql-state.db'}",
        "timeout": 5.0,
        "sources": [case_source()],
    }
    values.update(overrides)
    return SqlConfig.model_validate(values)


def outbox_source(**overrides: Any) -> dict[str, Any]:
    """The legacy application's own change table, CHG_OUTBOX, marked DONE = 'Y' when sent."""
    values: dict[str, Any] = {
        "name": "case-changes",
        "strategy": "outbox",
        "table": "CHG_OUTBOX",
        "event_type": "benefits.case.changed",
        "fields": [{"column": "ID", "type": "int"}, {"column": "CASE_NO"}, {"column": "OP"}],
        "key": ["ID"],
        "subject": ["CASE_NO"],
        "processed_column": "DONE",
        "poll_interval": 0.05,
    }
    values.update(overrides)
    return values


def query_source(dialect: str, **overrides: Any) -> dict[str, Any]:
    """The integrator's own SELECT joining the outbox to the case, in the backend's quoting."""
    q = (lambda name: f"`{name}`") if dialect in ("mysql", "mariadb") else (lambda n: f'"{n}"')
    values: dict[str, Any] = {
        "name": "case-query",
        "strategy": "query",
        "event_type": "benefits.case.changed",
        "query": (
            f"SELECT o.{q('ID')} AS {q('ID')}, c.{q('CASE_NO')} AS {q('CASE_NO')}, "
            f"c.{q('STATUS')} AS {q('STATUS')}, c.{q('START_DT')} AS {q('START_DT')} "
            f"FROM {q('CHG_OUTBOX')} o JOIN {q('BEN_CASE')} c ON c.{q('CASE_NO')} = "
            f"o.{q('CASE_NO')} WHERE o.{q('DONE')} = :pending ORDER BY o.{q('ID')}"
        ),
        "query_params": {"pending": "N"},
        "on_consume": f"UPDATE {q('CHG_OUTBOX')} SET {q('DONE')} = 'Y' WHERE {q('ID')} = :ID",
        "on_failure": f"UPDATE {q('CHG_OUTBOX')} SET {q('DONE')} = 'E' WHERE {q('ID')} = :ID",
        "fields": [
            {"column": "CASE_NO"},
            {"column": "STATUS"},
            {"column": "START_DT", "type": "date", "formats": ["%d.%m.%Y"]},
        ],
        "key": ["ID"],
        "subject": ["CASE_NO"],
        "poll_interval": 0.05,
    }
    values.update(overrides)
    return values
