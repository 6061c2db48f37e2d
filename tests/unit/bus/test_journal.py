"""The journal, on SQLite and on PostgreSQL: batched writes, finding, searching, retention."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

import bus._journal as journal_package
from bus._journal import Hop, Journal
from bus._journal._tables import hops, messages
from schemas import Envelope

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def journal(database_url: str) -> Iterator[Journal]:
    journal = Journal(database_url, flush_interval=0.05)
    yield journal
    journal.close()


def envelope(**overrides: Any) -> Envelope:
    values: dict[str, Any] = {
        "type": "population.address_changed.v1",
        "source": "urn:civicbus:adapter:population-register",
        "subject": "person/1001",
        "time": T0,
        "data": {"street": "Main Street 1"},
    }
    values.update(overrides)
    return Envelope(**values)


def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    """Wait for the writer thread to make `check` true; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {within}s")
        time.sleep(0.02)


def test_the_writer_thread_writes_a_message_and_its_hops_found_in_time_order(
    journal: Journal,
) -> None:
    message = envelope()
    journal.start()
    journal.message(message)
    journal.hop(message.id, Hop.HANDLED, consumer="tax", at=T0 + timedelta(seconds=3))
    journal.hop(message.id, Hop.PUBLISHED, at=T0 + timedelta(seconds=1))
    journal.hop(message.id, Hop.DELIVERED, consumer="tax", at=T0 + timedelta(seconds=2))

    eventually(lambda: len(getattr(journal.find(message.id), "hops", [])) == 3)

    record = journal.find(message.id)
    assert record is not None
    assert [hop.hop for hop in record.hops] == [Hop.PUBLISHED, Hop.DELIVERED, Hop.HANDLED]


def test_a_found_message_keeps_its_envelope_and_keys(journal: Journal) -> None:
    message = envelope(correlationid="corr-7", causationid="cause-6")
    journal.message(message)
    journal.flush()

    record = journal.find(message.id)

    assert record is not None
    assert (record.type, record.source, record.subject, record.correlation_id) == (
        message.type,
        message.source,
        message.subject,
        "corr-7",
    )
    assert record.causation_id == "cause-6"
    assert record.envelope == message.to_dict()


def test_times_come_back_as_aware_utc(journal: Journal) -> None:
    message = envelope(time=datetime(2026, 3, 1, 11, 0, tzinfo=timezone(timedelta(hours=2))))
    journal.message(message)
    journal.hop(message.id, Hop.PUBLISHED, at=T0)
    journal.flush()

    record = journal.find(message.id)

    assert record is not None
    assert (record.time, record.hops[0].at) == (T0, T0)
    assert (record.time.tzinfo, record.first_seen.tzinfo) == (UTC, UTC)


def test_status_follows_the_latest_hop(journal: Journal) -> None:
    message = envelope()
    journal.message(message)
    journal.hop(message.id, Hop.DELIVERED, consumer="tax", at=T0 + timedelta(seconds=1))
    journal.flush()
    journal.hop(message.id, Hop.RETRIED, consumer="tax", at=T0 + timedelta(seconds=2))
    journal.hop(message.id, Hop.DEAD_LETTERED, consumer="tax", at=T0 + timedelta(seconds=3))
    journal.flush()

    record = journal.find(message.id)

    assert record is not None
    assert record.status == "dead_lettered"


def test_a_hop_written_before_its_message_is_kept(journal: Journal) -> None:
    message = envelope()
    journal.hop(message.id, Hop.DELIVERED, consumer="tax")
    journal.flush()
    journal.message(message)
    journal.flush()

    record = journal.find(message.id)

    assert record is not None
    assert ([hop.hop for hop in record.hops], record.status) == ([Hop.DELIVERED], "delivered")


def test_the_first_sight_of_a_message_wins(journal: Journal) -> None:
    first = envelope(data={"street": "first"})
    again = first.model_copy(update={"data": {"street": "again"}})
    journal.message(first)
    journal.message(again)
    journal.flush()
    journal.message(again)
    journal.flush()

    record = journal.find(first.id)

    assert record is not None
    assert record.envelope["data"] == {"street": "first"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("message_id", "wanted-id"),
        ("correlation_id", "corr-wanted"),
        ("subject", "person/2002"),
        ("type", "population.person_moved.v1"),
        ("consumer", "social-benefits"),
        ("status", "rejected"),
    ],
)
def test_search_by_each_key_finds_only_the_matching_message(
    journal: Journal, key: str, value: str
) -> None:
    wanted = envelope(
        id="wanted-id",
        correlationid="corr-wanted",
        subject="person/2002",
        type="population.person_moved.v1",
    )
    other = envelope(id="other-id", correlationid="corr-other")
    journal.message(wanted)
    journal.message(other)
    journal.hop("wanted-id", Hop.REJECTED, consumer="social-benefits")
    journal.hop("other-id", Hop.HANDLED, consumer="tax")
    journal.flush()

    criteria: dict[str, Any] = {key: value}
    found = journal.search(**criteria)

    assert [record.id for record in found] == ["wanted-id"]


def test_search_by_time_range_is_newest_first_and_limited(journal: Journal) -> None:
    for hour in range(6):
        journal.message(envelope(id=f"m{hour}", time=T0 + timedelta(hours=hour)))
    journal.flush()

    found = journal.search(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=5), limit=3)

    assert [record.id for record in found] == ["m4", "m3", "m2"]


def test_purge_deletes_messages_and_hops_older_than_the_retention(
    journal: Journal, database_url: str
) -> None:
    old, recent = envelope(id="old"), envelope(id="recent")
    journal.message(old)
    journal.message(recent)
    journal.hop("old", Hop.HANDLED)
    journal.flush()
    age_in_database(database_url, "old", timedelta(days=40))

    purged = journal.purge(older_than=timedelta(days=30))

    assert (purged, journal.find("old"), journal.find("recent") is not None) == (1, None, True)


def age_in_database(url: str, message_id: str, age: timedelta) -> None:
    """Make one message and its hops look `age` old, as the passing of time would."""
    engine = sa.create_engine(url)
    then = datetime.now(UTC) - age
    stored = then.replace(tzinfo=None) if engine.dialect.name == "sqlite" else then
    with engine.begin() as connection:
        connection.execute(
            messages.update().where(messages.c.id == message_id).values(first_seen=stored)
        )
        connection.execute(hops.update().where(hops.c.message_id == message_id).values(at=stored))
    engine.dispose()


def test_close_writes_what_was_still_queued(database_url: str) -> None:
    message = envelope()
    journal = Journal(database_url, flush_interval=60)
    journal.start()
    journal.message(message)
    journal.close()

    reopened = Journal(database_url, migrate=False)
    try:
        assert reopened.find(message.id) is not None
    finally:
        reopened.close()


def test_a_failed_write_is_retried_and_logged_never_raised(
    journal: Journal, database_url: str
) -> None:
    message = envelope()
    journal.start()
    with capture_logs() as logs:
        with table_missing(database_url, "journal_messages"):
            journal.message(message)
            journal.hop(message.id, Hop.PUBLISHED)
            eventually(lambda: any(e["event"] == "journal_write_failed" for e in logs))
        journal.flush()

    record = journal.find(message.id)
    assert record is not None
    assert record.status == "published"


@contextmanager
def table_missing(url: str, table: str) -> Iterator[None]:
    """The table is gone (as after a database was recreated) until the block ends."""
    engine = sa.create_engine(url)

    def rename(old: str, new: str) -> None:
        with engine.begin() as connection:
            connection.execute(sa.text(f"ALTER TABLE {old} RENAME TO {new}"))

    rename(table, f"{table}_away")
    try:
        yield
    finally:
        rename(f"{table}_away", table)
        engine.dispose()


def test_an_unwritable_entry_is_dropped_alone(journal: Journal) -> None:
    good = envelope()
    with capture_logs() as logs:
        journal.message(object())  # type: ignore[arg-type]
        journal.message(good)
        journal.flush()

    assert (journal.find(good.id) is not None, journal.dropped) == (True, 1)
    assert [e["event"] for e in logs] == ["journal_entry_refused"]


def test_a_full_queue_drops_the_oldest_hops_and_counts_them(database_url: str) -> None:
    message = envelope()
    journal = Journal(database_url, max_queued=3)
    try:
        journal.message(message)
        for attempt in range(1, 5):
            journal.hop(message.id, Hop.RETRIED, attempt=attempt)
        journal.flush()

        record = journal.find(message.id)
        assert record is not None
        assert ([hop.attempt for hop in record.hops], journal.dropped) == ([3, 4], 2)
    finally:
        journal.close()


def test_a_producer_waits_for_the_writer_to_catch_up_and_never_blocks_for_ever(
    database_url: str,
) -> None:
    journal = Journal(database_url, batch_size=5, flush_interval=0.05, producer_lag=10)
    try:
        journal.start()
        with table_missing(database_url, "journal_messages"):
            for n in range(30):
                journal.message(envelope(id=f"m{n}"))
            gave_up = journal.wait_for_room(timeout=0.3)
        caught_up = journal.wait_for_room(timeout=60)
        assert (gave_up, caught_up, journal.lag <= 5) == (False, True, True)
    finally:
        journal.close()


def test_the_writer_applies_the_retention_when_it_starts(database_url: str) -> None:
    writer = Journal(database_url)
    writer.message(envelope(id="old"))
    writer.close()
    age_in_database(database_url, "old", timedelta(days=40))

    journal = Journal(database_url, retention=timedelta(days=30), flush_interval=0.05)
    try:
        journal.start()
        eventually(lambda: journal.find("old") is None)
    finally:
        journal.close()


def test_the_package_exports_exactly_the_journal_api() -> None:
    assert sorted(journal_package.__all__) == ["Hop", "HopRecord", "Journal", "MessageRecord"]


def test_past_its_size_limit_the_oldest_messages_go_and_a_warning_comes_first(
    database_url: str,
) -> None:
    journal = Journal(database_url, max_bytes=300_000)
    try:
        for n in range(1500):
            journal.message(envelope(id=f"m{n:05d}", data={"filler": "x" * 400}))
        journal.flush()
        with capture_logs() as logs:
            for _ in range(3):
                journal.check_size()
        kept = {n for n in range(1500) if journal.find(f"m{n:05d}") is not None}
    finally:
        journal.close()
    events = [entry["event"] for entry in logs]
    assert (min(kept) > 0, 1499 in kept, events[:2]) == (
        True,
        True,
        ["journal_near_its_size_limit", "journal_purged_for_size"],
    )
    assert events.count("journal_purged_for_size") == 1  # no second purge without new growth
