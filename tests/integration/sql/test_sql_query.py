"""The custom-query strategy: the integrator's SELECT (values bound) finds the rows, and
their on_consume / on_failure statements mark each row once its event was confirmed or its
dead letter sent — on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters import AdapterConfigError
from adapters.sql import SqlAdapter
from examples.legacy.benefits_db import LegacyApplication, outbox
from tests.integration._waiting import wait_for
from tests.integration.sql._configs import query_source, sql_config
from tests.integration.sql._recorder import Recorder, running

pytestmark = pytest.mark.timeout(60)


def done_flags(legacy: LegacyApplication) -> list[str]:
    with legacy.engine.connect() as connection:
        query = sa.select(outbox.c.DONE).order_by(outbox.c.ID)
        return [flag.strip() for flag in connection.execute(query).scalars()]


def adapter_for(legacy: LegacyApplication, tmp_path: Path, **overrides: object) -> SqlAdapter:
    source = query_source(legacy.engine.dialect.name, **overrides)
    return SqlAdapter("benefits", sql_config(str(legacy.engine.url), tmp_path, sources=[source]))


def test_rows_are_emitted_then_consumed_and_an_unreadable_row_is_marked_failed(
    legacy: LegacyApplication, tmp_path: Path
):
    legacy.open_case("C1", "Ann", start_dt="01.02.2003")
    legacy.open_case("C2", "Bob", start_dt="31.31.31")  # no date: cannot become an event
    legacy.change_status("C1", "PA")
    adapter = adapter_for(legacy, tmp_path)
    adapter.start()
    flags_while_publishing: list[list[str]] = []
    recorder = Recorder(on_emit=lambda _: flags_while_publishing.append(done_flags(legacy)))
    try:
        with running(adapter.sources()[0], recorder):
            wait_for(lambda: "N" not in done_flags(legacy), what="every row marked")
    finally:
        adapter.stop()

    outcome = (recorder.keys, [r["key"] for r in recorder.rejected], done_flags(legacy))
    assert (flags_while_publishing, outcome) == (
        [["N", "N", "N"]],
        (["case-query:1", "case-query:3"], ["case-query:2"], ["Y", "E", "Y"]),
    )


def test_a_mapped_column_the_query_does_not_return_is_a_start_up_error_naming_it(
    legacy: LegacyApplication, tmp_path: Path
):
    adapter = adapter_for(legacy, tmp_path, key=["OUTBOX_ID"])

    with pytest.raises(AdapterConfigError, match=r"'OUTBOX_ID'.*returns ID, CASE_NO"):
        adapter.start()
    adapter.stop()
