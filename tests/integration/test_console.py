"""The console over HTTP on a real server and the embedded broker: sign-in refusals, CSRF,
roles, masking of personal data by role, and the search's page limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest

from bus import Bus, Delivery, PermanentError, Settings
from bus._console import Console, hash_password
from bus._gateway import GatewayServer
from schemas import Address, AddressChanged, Envelope
from tests.integration._waiting import wait_for

pytestmark = pytest.mark.timeout(120)

PERSON_ID = "38001085718"
USERS = {
    "vera": {"password_hash": hash_password("viewer-pw"), "role": "viewer"},
    "olev": {"password_hash": hash_password("operator-pw"), "role": "operator"},
    "anne": {"password_hash": hash_password("admin-pw"), "role": "admin"},
}
PASSWORDS = {"vera": "viewer-pw", "olev": "operator-pw", "anne": "admin-pw"}


@dataclass
class Running:
    bus: Bus
    console: Console
    url: str
    dead_letter_queue: str
    envelope: Envelope


def change(n: int) -> AddressChanged:
    return AddressChanged(
        person_id=PERSON_ID if n == 0 else f"3800108{n:04d}",
        address=Address(street=f"Pikk {n}", postal_code="10123", city="Tallinn", country="EE"),
        effective_date=date(2026, 12, 1),
    )


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    settings = Settings(
        data_dir=tmp_path / "data",
        retry={"in_process_attempts": 1, "redelivery_delays": []},
        journal={"flush_interval": 0.05},
        console={"secret": "test secret", "users": USERS},
    )
    bus = Bus(settings)

    def refuse(_delivery: Delivery) -> None:
        raise PermanentError("the benefits register refuses this person")

    consumer = bus.subscribe("benefits", ["civic.person.address-changed"], refuse)
    bus.start()
    assert bus.wait_ready(30)
    envelope = bus.registry.envelope(change(0), source="test", subject="case-1")
    bus.publish(envelope)
    console = Console(bus)
    server = GatewayServer(console.app, host="127.0.0.1", port=0)
    server.start()
    queue = consumer.queues.dead_letters.name
    try:
        wait_for(lambda: console.dead_letters.depth(queue) == 1, what="the dead letter")
        assert bus.journal is not None
        bus.journal.flush()
        yield Running(bus, console, server.url, queue, envelope)
    finally:
        server.stop()
        console.close()
        bus.close()


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "the page has no CSRF field"
    return found.group(1)


def client(running: Running) -> httpx.Client:
    return httpx.Client(base_url=running.url, follow_redirects=False, timeout=30)


@contextmanager
def signed_in(running: Running, user: str) -> Iterator[httpx.Client]:
    with client(running) as http:
        form = http.get("/login")
        answer = http.post(
            "/login", data={"csrf": csrf_of(form), "username": user, "password": PASSWORDS[user]}
        )
        assert answer.headers["location"] == "/", answer.text
        yield http


def test_a_bad_password_is_refused_and_leaves_no_session(running: Running):
    with client(running) as http:
        form = http.get("/login")
        answer = http.post(
            "/login", data={"csrf": csrf_of(form), "username": "olev", "password": "guess"}
        )
        after = http.get("/")
    assert (answer.status_code, answer.headers["location"], after.headers["location"]) == (
        303,
        "/login?failed=true",
        "/login",
    )


def test_a_tampered_session_cookie_is_sent_to_sign_in(running: Running):
    with signed_in(running, "olev") as http:
        cookie = http.cookies["civicbus_console"]
        http.cookies.clear()
        http.cookies.set("civicbus_console", cookie.replace(".", ".x", 1))
        answer = http.get("/dead-letters")
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")


def test_a_form_without_its_csrf_token_is_refused(running: Running):
    with signed_in(running, "olev") as http:
        answer = http.post(
            f"/dead-letters/{running.dead_letter_queue}/replay",
            data={"id": running.envelope.id, "reason": "cause fixed"},
        )
    assert answer.status_code == 403
    assert running.console.dead_letters.depth(running.dead_letter_queue) == 1


def test_a_sign_in_without_its_csrf_token_is_refused(running: Running):
    with client(running) as http:
        answer = http.post("/login", data={"username": "olev", "password": "operator-pw"})
    assert answer.status_code == 403


def test_a_viewer_may_not_see_or_act_on_dead_letters(running: Running):
    with signed_in(running, "vera") as http:
        browse = http.get("/dead-letters")
        token = csrf_of(http.get("/"))  # the sign-out form carries it
        replay = http.post(
            f"/dead-letters/{running.dead_letter_queue}/replay",
            data={"csrf": token, "id": running.envelope.id, "reason": "cause fixed"},
        )
    assert (browse.status_code, replay.status_code) == (403, 403)
    assert "operator role" in replay.text
    assert running.console.dead_letters.depth(running.dead_letter_queue) == 1


def test_an_operator_discard_is_audited_under_the_operator(running: Running):
    with signed_in(running, "olev") as http:
        page = http.get(f"/dead-letters/{running.dead_letter_queue}")
        answer = http.post(
            f"/dead-letters/{running.dead_letter_queue}/discard",
            data={"csrf": csrf_of(page), "id": running.envelope.id, "reason": "test data"},
        )
        audit = http.get("/audit")
    entries = running.console.dead_letters.audit.entries()
    assert answer.status_code == 303
    assert [(e.operator, e.action, e.message_id) for e in entries] == [
        ("olev", "discard", running.envelope.id)
    ]
    assert "test data" in audit.text


@pytest.mark.parametrize(("user", "person_shown"), [("olev", False), ("anne", True)])
def test_personal_data_is_shown_to_an_admin_only(running: Running, user: str, person_shown: bool):
    with signed_in(running, user) as http:
        journey = http.get(f"/messages/{running.envelope.id}")
        letters = http.get(f"/dead-letters/{running.dead_letter_queue}")
    assert ((PERSON_ID in journey.text), (PERSON_ID in letters.text)) == (
        person_shown,
        person_shown,
    )
    assert ("Unmasked" in journey.text) is person_shown


def test_search_pages_are_limited_and_lead_to_older_messages(running: Running):
    more = [
        running.bus.registry.envelope(change(n), source="test", subject="batch") for n in (1, 2, 3)
    ]
    running.bus.publish(*more)
    assert running.bus.journal is not None
    wait_for(
        lambda: len(running.bus.journal.search(subject="batch")) == 3,  # type: ignore[union-attr]
        what="three journaled",
    )
    ids = re.compile(r'href="/messages/([0-9a-f-]{36})"')
    with signed_in(running, "vera") as http:
        first = http.get("/messages", params={"subject": "batch", "limit": "2"})
        older = re.search(r'href="(/messages\?[^"]+)" rel="next"', first.text)
        assert older, "no link to older messages"
        second = http.get(older.group(1).replace("&amp;", "&"))
        capped = http.get("/messages", params={"go": "1", "limit": "100000"})
    seen = ids.findall(first.text) + ids.findall(second.text)
    assert (len(ids.findall(first.text)), sorted(seen)) == (2, sorted(e.id for e in more))
    assert 'name="limit" min="1" max="200" value="200"' in capped.text


def test_search_by_correlation_id_finds_the_message(running: Running):
    with signed_in(running, "vera") as http:
        found = http.get("/messages", params={"correlation_id": running.envelope.correlationid})
    assert f"/messages/{running.envelope.id}" in found.text


def test_the_console_serves_probes_and_metrics(running: Running):
    with client(running) as http:
        answers = [http.get(path).status_code for path in ("/healthz", "/readyz", "/metrics")]
    assert answers == [200, 200, 200]


def test_an_operator_replays_several_dead_letters_at_once(running: Running):
    other = running.bus.registry.envelope(change(7), source="test", subject="case-7")
    running.bus.publish(other)
    wait_for(
        lambda: running.console.dead_letters.depth(running.dead_letter_queue) == 2,
        what="two dead letters",
    )
    with signed_in(running, "olev") as http:
        page = http.get(f"/dead-letters/{running.dead_letter_queue}")
        answer = http.post(
            f"/dead-letters/{running.dead_letter_queue}/replay",
            data={"csrf": csrf_of(page), "id": [running.envelope.id, other.id], "reason": "fixed"},
            follow_redirects=True,
        )
    replays = {
        e.message_id for e in running.console.dead_letters.audit.entries() if e.action == "replay"
    }
    assert "Replayed 2 message(s)" in answer.text
    assert replays == {running.envelope.id, other.id}


def test_an_outcome_in_a_crafted_link_is_not_shown(running: Running):
    with signed_in(running, "olev") as http:
        page = http.get(
            f"/dead-letters/{running.dead_letter_queue}",
            params={"note": "forged", "done": "Replayed 99 message(s)"},
        )
    assert (page.status_code, "Replayed 99" in page.text) == (200, False)
