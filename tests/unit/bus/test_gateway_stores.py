"""The gateway's tables on SQLite and PostgreSQL: clients with hashed keys and grants, kept
calls for Idempotency-Key, the data-access log, subscriptions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bus._gateway._access_log import DataAccess, DataAccessLog
from bus._gateway._calls import CallStore, request_hash
from bus._gateway._clients import ClientError, ClientStore
from bus._gateway._quota import QuotaStore
from bus._gateway._subscriptions import SubscriptionStore
from bus.migrations import migrate


@pytest.fixture
def url(database_url: str) -> str:
    migrate(database_url)
    return database_url


@pytest.fixture
def clients(url: str) -> Iterator[ClientStore]:
    store = ClientStore(url)
    yield store
    store.close()


def test_a_key_authenticates_its_client_and_only_its_hash_is_stored(
    clients: ClientStore, url: str
) -> None:
    key = clients.add("portal")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT key_hash FROM gateway_clients")).scalar()
    engine.dispose()

    found = clients.by_key(key)
    assert found is not None
    assert found.name == "portal"
    assert key not in str(stored)
    assert clients.by_key(key + "x") is None


def test_a_new_client_may_do_nothing_until_granted(clients: ClientStore) -> None:
    clients.add("portal")
    before = clients.by_name("portal")
    clients.grant("portal", "operation", "register.get")
    clients.grant("portal", "event", "civic.person")
    after = clients.by_name("portal")

    assert before is not None
    assert after is not None
    assert (before.may("operation", "register.get"), after.may("operation", "register.get")) == (
        False,
        True,
    )
    assert (after.may("event", "civic.person"), after.may("operation", "civic.person")) == (
        True,
        False,
    )


def test_revoke_takes_a_grant_back(clients: ClientStore) -> None:
    clients.add("portal")
    clients.grant("portal", "operation", "register.get")

    assert clients.revoke("portal", "operation", "register.get") is True
    assert clients.revoke("portal", "operation", "register.get") is False
    client = clients.by_name("portal")
    assert client is not None
    assert not client.may("operation", "register.get")


@pytest.mark.parametrize(
    ("name", "kind", "target"),
    [
        ("stranger", "operation", "register.get"),
        ("portal", "privilege", "root"),
        ("portal", "operation", ""),
    ],
    ids=["unknown-client", "unknown-privilege", "empty-target"],
)
def test_a_bad_grant_is_refused_and_changes_nothing(
    clients: ClientStore, name: str, kind: str, target: str
) -> None:
    clients.add("portal")
    with pytest.raises(ClientError):
        clients.grant(name, kind, target)  # type: ignore[arg-type]

    client = clients.by_name("portal")
    assert client is not None
    assert (client.operations, client.privileges) == (frozenset(), frozenset())


def test_a_rotated_key_replaces_the_old_one_and_keeps_the_grants(clients: ClientStore) -> None:
    old = clients.add("portal")
    clients.grant("portal", "operation", "population-register.get-person")
    new = clients.rotate_key("portal")
    assert new != old
    assert clients.by_key(old) is None
    client = clients.by_key(new)
    assert client is not None
    assert client.operations == {"population-register.get-person"}
    with pytest.raises(ClientError, match="no client 'nobody'"):
        clients.rotate_key("nobody")


@pytest.mark.parametrize("name", ["Portal", "", "a b", "x" * 64])
def test_a_bad_client_name_is_refused(clients: ClientStore, name: str) -> None:
    with pytest.raises(ClientError):
        clients.add(name)
    assert clients.all() == []


def test_a_duplicate_client_is_refused(clients: ClientStore) -> None:
    clients.add("portal")
    with pytest.raises(ClientError, match="already exists"):
        clients.add("portal")


def test_a_keyed_call_is_claimed_once_and_its_answer_kept(url: str) -> None:
    calls = CallStore(url)
    digest = request_hash("register.put", {"b": 1, "a": 2})
    first = calls.claim(
        call_id="c1", client="portal", operation="register.put", idempotency_key="k", hash_=digest
    )
    calls.complete("c1", 200, {"ok": True})
    again = calls.claim(
        call_id="c2", client="portal", operation="register.put", idempotency_key="k", hash_=digest
    )
    other_client = calls.claim(
        call_id="c3", client="other", operation="register.put", idempotency_key="k", hash_=digest
    )
    calls.close()

    assert first is None
    assert again is not None
    assert (again.id, again.state, again.status, again.body) == (
        "c1",
        "completed",
        200,
        {"ok": True},
    )
    assert other_client is None
    assert digest == request_hash("register.put", {"a": 2, "b": 1})


def test_old_calls_are_purged(url: str) -> None:
    calls = CallStore(url)
    calls.claim(call_id="c1", client="p", operation="o", idempotency_key=None, hash_="h")

    assert calls.purge(older_than=timedelta(days=1)) == 0
    assert calls.purge(older_than=timedelta(seconds=-1)) == 1
    assert calls.find("c1") is None
    calls.close()


def test_the_data_access_log_lists_a_persons_accesses_newest_first(url: str) -> None:
    log = DataAccessLog(url)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for minute, (person, client) in enumerate([("p1", "a"), ("p2", "b"), ("p1", "c")]):
        log.record(
            DataAccess(
                person_id=person,
                at=start + timedelta(minutes=minute),
                client=client,
                operation="register.get",
                purpose="case",
                end_user=None,
                request_id=f"r{minute}",
                status=200,
            )
        )

    assert [a.client for a in log.of_person("p1")] == ["c", "a"]
    log.close()


def test_subscriptions_belong_to_their_client(url: str) -> None:
    store = SubscriptionStore(url)
    mine = store.add("portal", "civic.person", "https://portal.example/hooks")

    assert store.remove("other", mine.id) is False
    assert [s.id for s in store.of_client("portal")] == [mine.id]
    assert store.remove("portal", mine.id) is True
    assert store.all() == []
    store.close()


def test_a_quota_counts_each_clients_calls_per_day_and_says_when_it_renews(url: str) -> None:
    quotas = QuotaStore(url)
    try:
        waits = [quotas.take("portal", 2) for _ in range(3)]
        other = quotas.take("other", 2)
        unlimited = [quotas.take("portal", None) for _ in range(3)]
    finally:
        quotas.close()
    assert (waits[:2], 0 < waits[2] <= 86_400, other, unlimited) == (
        [0.0, 0.0],
        True,
        0.0,
        [0.0, 0.0, 0.0],
    )
