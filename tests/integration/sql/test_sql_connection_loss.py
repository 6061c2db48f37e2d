"""The adapter's database sessions are killed mid-poll; polling resumes on new connections."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from adapters import SourceEvent
from adapters.sql import SqlAdapter
from examples.legacy.benefits_db import LegacyApplication
from tests.integration._waiting import wait_for
from tests.integration.sql._configs import sql_config

pytestmark = pytest.mark.timeout(60)


class Recorder:
    """An emitter that keeps what it is given (the bus side is proven elsewhere)."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def emit(self, events: Sequence[SourceEvent]) -> None:
        self.keys.extend(event.key for event in events)

    def reject(self, record: bytes, *, reason: str, detail: dict[str, Any]) -> None:
        raise AssertionError(f"unexpected dead letter {reason}: {detail}")


def kill_other_sessions(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return len(
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            )
        ids = connection.execute(
            sa.text(
                "SELECT id FROM information_schema.processlist "
                "WHERE db = DATABASE() AND id <> CONNECTION_ID()"
            )
        ).scalars()
        killed = 0
        for session in list(ids):
            connection.exec_driver_sql(f"KILL {int(session)}")
            killed += 1
        return killed


# SQLite has no sessions to kill: the servers only.
@pytest.mark.parametrize("legacy_url", ["postgresql", "mariadb"], indirect=True)
def test_polling_resumes_after_the_database_sessions_are_killed(
    legacy: LegacyApplication, tmp_path: Path
):
    adapter = SqlAdapter("benefits", sql_config(str(legacy.engine.url), tmp_path))
    adapter.start()
    recorder, stop = Recorder(), threading.Event()
    poller = threading.Thread(target=adapter.sources()[0].run, args=(recorder, stop))
    legacy.open_case("C1", "Ann")
    poller.start()
    try:
        wait_for(lambda: len(recorder.keys) == 1, what="the first case")
        killer = sa.create_engine(str(legacy.engine.url))
        assert kill_other_sessions(killer) >= 1
        killer.dispose()
        legacy.engine.dispose()  # the legacy application's own sessions died too
        legacy.open_case("C2", "Bob")
        wait_for(lambda: len(recorder.keys) == 2, what="the case opened after the kill")
    finally:
        stop.set()
        poller.join(10)
        adapter.stop()

    assert recorder.keys == ["BEN_CASE:C1:1", "BEN_CASE:C2:2"]
