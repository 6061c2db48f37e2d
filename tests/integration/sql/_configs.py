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
