"""`civicbus dlq` and `civicbus messages` against a real (embedded) broker and journal: what an
operator types to find a failed message, see why, replay it and follow its journey."""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from bus import Bus, Delivery, PermanentError, load_settings
from bus.cli import app
from schemas import Address, AddressChanged
from tests.integration._waiting import wait_for


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--config", "civicbus.yaml", *args])
    return result.exit_code, result.output


def test_an_operator_finds_replays_and_follows_a_dead_letter(isolated_cli: None, tmp_path: Path):
    Path("civicbus.yaml").write_text(
        f"data_dir: {tmp_path / 'data'}\nretry: {{redelivery_delays: []}}\n"
        "journal: {flush_interval: 0.05}\n"
    )
    bus = Bus(load_settings(Path("civicbus.yaml")))
    broken = threading.Event()
    broken.set()
    handled: list[str] = []

    def handle(delivery: Delivery) -> None:
        if broken.is_set():
            raise PermanentError("benefits database said: unknown municipality code 0784")
        handled.append(delivery.envelope.id)

    consumer = bus.subscribe("benefits", ["civic.person.address-changed"], handle)
    dlq = consumer.queues.dead_letters.name
    bus.start()
    try:
        assert bus.wait_ready(30)
        change = AddressChanged(
            person_id="38001085718",
            address=Address(street="Pikk 1", postal_code="10123", city="Tallinn", country="EE"),
            effective_date=date(2026, 12, 1),
        )
        envelope = bus.registry.envelope(change, source="test", subject="38001085718")
        bus.publish(envelope)
        assert bus.journal is not None
        wait_for(
            lambda: bus.journal.dead_letter_queues() == [dlq], what="the journaled dead letter"
        )

        listed = cli("dlq", "list", "--json")
        letters = cli("dlq", "list", dlq, "--json")
        shown = cli("dlq", "show", dlq, envelope.id)
        refused = cli("dlq", "replay", dlq, envelope.id)  # no reason given
        broken.clear()
        replayed = cli(
            "dlq", "replay", dlq, envelope.id, "--reason", "code added", "--operator", "mari"
        )
        wait_for(lambda: handled == [envelope.id], what="the replayed message handled")
        again = cli("dlq", "replay", dlq, envelope.id, "--reason", "again")
        bus.journal.flush()
        journey = cli("messages", "show", envelope.id, "--json")
        found = cli("messages", "search", "--subject", "38001085718", "--json")
    finally:
        bus.close()

    assert (listed[0], json.loads(listed[1])) == (0, [{"queue": dlq, "messages": 1}])
    assert [(x["message_id"], x["reason"]) for x in json.loads(letters[1])] == [
        (envelope.id, "handler_failed")
    ]
    assert (shown[0], "unknown municipality code 0784" in shown[1], "38001085718" in shown[1]) == (
        0,
        True,
        True,  # the subject is a key, shown; the person id inside the data is masked
    )
    assert '"person_id": "***"' in shown[1]
    assert (refused[0], replayed[0], "replayed 1" in replayed[1]) == (2, 0, True)
    assert (again[0], "replayed by mari" in again[1]) == (1, True)
    hops = [hop["hop"] for hop in json.loads(journey[1])["hops"]]
    assert hops[-3:] == ["replayed", "delivered", "handled"]
    assert [m["id"] for m in json.loads(found[1])] == [envelope.id]


def test_status_reports_the_checks_the_offer_and_the_dead_letters(
    isolated_cli: None, tmp_path: Path
):
    Path("civicbus.yaml").write_text(
        f"data_dir: {tmp_path / 'data'}\nretry: {{redelivery_delays: []}}\n"
        "journal: {flush_interval: 0.05}\n"
    )
    bus = Bus(load_settings(Path("civicbus.yaml")))

    def refuse(_delivery: Delivery) -> None:
        raise PermanentError("no")

    consumer = bus.subscribe("benefits", ["civic.person.address-changed"], refuse)
    bus.start()
    try:
        assert bus.wait_ready(30)
        change = AddressChanged(
            person_id="38001085718",
            address=Address(street="Pikk 1", postal_code="10123", city="Tallinn", country="EE"),
            effective_date=date(2026, 12, 1),
        )
        bus.publish(bus.registry.envelope(change, source="test"))
        assert bus.journal is not None
        wait_for(lambda: bus.journal.dead_letter_queues() != [], what="a dead letter")
        bus.journal.flush()
        code, out = cli("status", "--json")
    finally:
        bus.close()
    report = json.loads(out)
    assert (code, report["ready"], sorted(report["checks"])) == (
        0,
        True,
        ["broker", "journal", "state"],
    )
    assert report["dead_letters"] == {consumer.queues.dead_letters.name: 1}
    assert report["last_hour"].get("dead_lettered") == 1


def test_status_exits_1_when_the_broker_does_not_answer(isolated_cli: None, tmp_path: Path):
    Path("civicbus.yaml").write_text(
        f"data_dir: {tmp_path / 'data'}\nbroker_url: amqp://guest:guest@127.0.0.1:1//\n"
    )
    code, out = cli("status")
    assert (code, "NOT READY" in out, "broker" in out) == (1, True, True)
