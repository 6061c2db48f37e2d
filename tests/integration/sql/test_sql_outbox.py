"""The change-table (outbox) strategy: rows the legacy application's own "trigger" writes to
CHG_OUTBOX become messages once each, and are marked done only after the broker confirmed
them — on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters import AdapterHost, SourceEvent
from adapters.sql import SqlAdapter
from bus import BrokerUnavailable, Bus, Delivery
from examples.legacy.benefits_db import LegacyApplication, outbox
from tests.integration._waiting import wait_for
from tests.integration.sql._configs import outbox_source, sql_config
from tests.integration.sql._recorder import Recorder, running

pytestmark = pytest.mark.timeout(120)


def done_flags(legacy: LegacyApplication) -> list[str]:
    with legacy.engine.connect() as connection:
        query = sa.select(outbox.c.DONE).order_by(outbox.c.ID)
        return [flag.strip() for flag in connection.execute(query).scalars()]


@pytest.mark.parametrize("broker_url", ["rabbitmq"], indirect=True)
def test_outbox_rows_become_messages_once_each_and_are_then_marked_done(
    legacy: LegacyApplication, bus_factory: Callable[..., Bus], tmp_path: Path
):
    legacy.open_case("C1", "Ann")
    legacy.open_case("C2", "Bob")
    config = sql_config(str(legacy.engine.url), tmp_path, sources=[outbox_source()])
    bus = bus_factory()
    seen: list[Delivery] = []
    bus.subscribe("changes", ["benefits.case.#"], seen.append)
    host = AdapterHost(bus, [SqlAdapter("benefits", config)])
    host.start()
    bus.start()
    assert bus.wait_ready(30)
    try:
        wait_for(lambda: len(seen) >= 2, what="the two outbox rows written before start")
        legacy.change_status("C1", "PA")
        wait_for(lambda: done_flags(legacy) == ["Y", "Y", "Y"], what="all rows marked done")
        wait_for(lambda: len(seen) >= 3, what="the update's outbox row")
    finally:
        host.stop()

    story = [(d.envelope.subject, d.payload.model_dump()["op"]) for d in seen]
    assert story == [("C1", "I"), ("C2", "I"), ("C1", "U")]


def test_outbox_rows_are_still_pending_while_their_batch_is_being_published(
    legacy: LegacyApplication, tmp_path: Path
):
    legacy.open_case("C1", "Ann")
    legacy.open_case("C2", "Bob")
    adapter = SqlAdapter("benefits", sql_config(str(legacy.engine.url), tmp_path,
                                                sources=[outbox_source()]))  # fmt: skip
    adapter.start()
    flags_while_publishing: list[list[str]] = []
    recorder = Recorder(on_emit=lambda _: flags_while_publishing.append(done_flags(legacy)))
    try:
        with running(adapter.sources()[0], recorder):
            wait_for(lambda: done_flags(legacy) == ["Y", "Y"], what="the rows marked done")
    finally:
        adapter.stop()

    assert flags_while_publishing == [["N", "N"]]


def test_a_batch_the_broker_never_confirmed_is_published_again_under_the_same_keys(
    legacy: LegacyApplication, tmp_path: Path
):
    legacy.open_case("C1", "Ann")
    legacy.open_case("C2", "Bob")
    failures = [BrokerUnavailable("connection lost before the confirm")]

    def broker_fails_once(_: Sequence[SourceEvent]) -> None:
        if failures:
            raise failures.pop()

    adapter = SqlAdapter("benefits", sql_config(str(legacy.engine.url), tmp_path,
                                                sources=[outbox_source()]))  # fmt: skip
    adapter.start()
    recorder = Recorder(on_emit=broker_fails_once)
    try:
        with running(adapter.sources()[0], recorder) as thread:
            wait_for(lambda: done_flags(legacy) == ["Y", "Y"] or not thread.is_alive(),
                     what="the rows marked done")  # fmt: skip
    finally:
        adapter.stop()

    assert recorder.keys == ["CHG_OUTBOX:1", "CHG_OUTBOX:2"]
