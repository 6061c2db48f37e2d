"""The idempotency store, on SQLite and on PostgreSQL: one handling per consumer and id."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bus._idempotency import IdempotencyStore

effects = sa.Table(
    "handler_effects",
    sa.MetaData(),
    sa.Column("message_id", sa.String(), primary_key=True),
)


@pytest.fixture
def store(database_url: str) -> Iterator[IdempotencyStore]:
    store = IdempotencyStore(database_url)
    # The handler's own table lives in the same database, as a SQL adapter's would.
    engine = sa.create_engine(database_url)
    effects.metadata.create_all(engine)
    engine.dispose()
    yield store
    store.close()


def stored_effects(url: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        ids = list(connection.scalars(sa.select(effects.c.message_id)))
    engine.dispose()
    return ids


class HandlerFailed(Exception):
    pass


def test_the_first_claim_is_new_and_the_second_a_duplicate(store: IdempotencyStore) -> None:
    with store.claim("tax", "m-1") as first:
        pass
    with store.claim("tax", "m-1") as second:
        pass

    assert (first.duplicate, second.duplicate) == (False, True)


def test_each_consumer_claims_an_id_for_itself(store: IdempotencyStore) -> None:
    with store.claim("tax", "m-1"):
        pass
    with store.claim("social-benefits", "m-1") as other:
        assert not other.duplicate


def test_a_failed_handler_leaves_the_id_claimable_again(store: IdempotencyStore) -> None:
    with pytest.raises(HandlerFailed), store.claim("tax", "m-1"):
        raise HandlerFailed

    with store.claim("tax", "m-1") as retry:
        assert not retry.duplicate


def test_the_handlers_write_commits_with_the_claim(
    store: IdempotencyStore, database_url: str
) -> None:
    with store.claim("tax", "m-1") as claim:
        claim.connection.execute(effects.insert().values(message_id="m-1"))

    assert (stored_effects(database_url), store.seen("tax", "m-1")) == (["m-1"], True)


def test_the_handlers_write_rolls_back_with_the_claim(
    store: IdempotencyStore, database_url: str
) -> None:
    def handle_then_fail() -> None:
        with store.claim("tax", "m-1") as claim:
            claim.connection.execute(effects.insert().values(message_id="m-1"))
            raise HandlerFailed

    with pytest.raises(HandlerFailed):
        handle_then_fail()

    assert (stored_effects(database_url), store.seen("tax", "m-1")) == ([], False)


def test_concurrent_claims_of_one_id_let_exactly_one_handle_it(store: IdempotencyStore) -> None:
    claimants = 6
    start = threading.Barrier(claimants)
    outcomes: list[bool] = []

    def claim() -> None:
        start.wait()
        with store.claim("tax", "m-1") as claimed:
            # Hold the claim open a moment so the others really contend for it.
            time.sleep(0.05)
            outcomes.append(claimed.duplicate)

    threads = [threading.Thread(target=claim) for _ in range(claimants)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == [False] + [True] * (claimants - 1)


def test_purge_forgets_claims_older_than_asked(store: IdempotencyStore) -> None:
    with store.claim("tax", "m-1"):
        pass

    kept = store.purge(older_than=timedelta(days=7))
    purged = store.purge(older_than=timedelta(0))

    assert (kept, purged, store.seen("tax", "m-1")) == (0, 1, False)
