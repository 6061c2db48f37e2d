"""The operations console in a real headless Chromium (Debian's, driven by Playwright), on a
real server and a real bus: an operator signs in, finds a citizen's message by correlation
id, follows its journey, replays its dead letter once the cause is fixed and sees it handled;
a viewer is refused the dead letters. Screenshots go to tests/e2e/artifacts/.

Also: `civicbus run` serves the console when `console.enabled`, and `civicbus console users
add` stores a hash that signs in.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from bus import Bus, Delivery, PermanentError, Settings
from bus._console import Console, hash_password
from bus._gateway import GatewayServer
from schemas import Address, AddressChanged, Envelope
from tests.e2e.test_cli import CIVICBUS, civicbus, finish
from tests.e2e.test_gateway_cli import free_port
from tests.integration._waiting import wait_for

pytestmark = pytest.mark.timeout(180)

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORDS = {"olev": "operator-pw", "vera": "viewer-pw"}
USERS = {
    "olev": {"password_hash": hash_password("operator-pw"), "role": "operator"},
    "vera": {"password_hash": hash_password("viewer-pw"), "role": "viewer"},
}


def require_chromium() -> Any:
    """Playwright's sync API, once Debian's chromium is known to be there."""
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is missing; `apt-get install chromium` (.ci/run does)"
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 — optional for users
    except ImportError:
        missing = missing or "playwright is not installed; pip install -e '.[dev]'"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {missing}")
        pytest.skip(missing)
    return sync_playwright


@dataclass
class Scene:
    bus: Bus
    url: str
    broken: threading.Event
    handled: list[str]
    envelope: Envelope
    dead_letter_queue: str


def change(n: int) -> AddressChanged:
    return AddressChanged(
        person_id=f"3800108{n:04d}",
        address=Address(street=f"Pikk {n}", postal_code="10123", city="Tallinn", country="EE"),
        effective_date=date(2026, 12, 1),
    )


@pytest.fixture(params=["embedded", pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)])
def scene(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Scene]:
    tag = uuid.uuid4().hex[:8]
    broker = (
        request.getfixturevalue("rabbitmq_url")
        if request.param == "rabbitmq"
        else f"embedded:///{tmp_path / 'broker.db'}"
    )
    settings = Settings(
        data_dir=tmp_path / "data",
        broker_url=broker,
        exchange=f"e2e.{tag}.events",
        queue_prefix=f"e2e.{tag}",
        retry={"in_process_attempts": 1, "redelivery_delays": []},
        journal={"flush_interval": 0.05},
        console={"secret": "e2e secret", "users": USERS, "refresh_seconds": 1},
    )
    bus = Bus(settings)
    broken = threading.Event()
    broken.set()
    handled: list[str] = []

    def benefits(delivery: Delivery) -> None:
        if broken.is_set():
            raise PermanentError("benefits register: person not found (mapping fixed later)")
        handled.append(delivery.envelope.id)

    consumer = bus.subscribe("benefits", ["civic.person.address-changed"], benefits)
    bus.subscribe("population-register", ["civic.person.address-changed"], lambda _d: None)
    bus.subscribe("route.notify-tax-office", ["civic.person.address-changed"], lambda _d: None)
    bus.start()
    assert bus.wait_ready(30)
    for n in range(1, 6):
        bus.publish(bus.registry.envelope(change(n), source="civicbus://portal", subject=f"c{n}"))
    envelope = bus.registry.envelope(
        change(0),
        source="civicbus://portal",
        subject="case-2026-0042",
        correlationid=str(uuid.uuid4()),
    )
    bus.publish(envelope)
    console = Console(bus)
    server = GatewayServer(console.app, host="127.0.0.1", port=0)
    server.start()
    queue = consumer.queues.dead_letters.name
    try:
        wait_for(lambda: console.dead_letters.depth(queue) == 6, what="six dead letters")
        assert bus.journal is not None
        bus.journal.flush()
        yield Scene(bus, server.url, broken, handled, envelope, queue)
    finally:
        server.stop()
        console.close()
        bus.close()
        if request.param == "rabbitmq":
            from tests.integration.conftest import delete_topology  # noqa: PLC0415

            delete_topology(bus)


def shot(page: Any, name: str, scene: Scene) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    broker = "rabbitmq" if scene.bus.settings.broker.startswith("amqp") else "embedded"
    page.screenshot(path=str(ARTIFACTS / f"{broker}-{name}.png"), full_page=True)


def sign_in(page: Any, url: str, user: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def test_an_operator_finds_a_message_and_replays_it_a_viewer_is_refused(scene: Scene):
    sync_playwright = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            operator = browser.new_page(viewport={"width": 1440, "height": 900})
            sign_in(operator, scene.url, "olev")
            flows = operator.locator("#flows")
            flows.get_by_role("link", name="route.notify-tax-office").wait_for()
            benefits = flows.locator("tr", has_text="benefits").first
            assert benefits.get_attribute("class") == "state-bad"
            operator.wait_for_selector("[data-live-status]:has-text('UTC')")  # refreshed live
            shot(operator, "flows", scene)

            operator.click("nav >> text=Messages")
            operator.fill("input[name=correlation_id]", scene.envelope.correlationid)
            operator.click("form.search button[type=submit]")
            results = operator.locator("#results tbody tr")
            assert results.count() == 1
            results.locator(f"a[href='/messages/{scene.envelope.id}']").click()
            operator.wait_for_selector("#timeline")
            timeline = operator.inner_text("#timeline")
            assert "dead_lettered" in timeline
            assert "mapping fixed later" in timeline
            assert "masked for your role" in operator.inner_text("#payload-note")
            assert "38001080000" not in operator.inner_text("#payload")
            shot(operator, "journey", scene)

            operator.click("nav >> text=Dead letters")
            operator.click(f"a[href='/dead-letters/{scene.dead_letter_queue}']")
            operator.check(f"input[name=id][value='{scene.envelope.id}']")
            operator.fill("#reason", "benefits mapping fixed")
            scene.broken.clear()  # the cause is fixed before the replay
            operator.click("#replay")
            assert "Replayed 1 message(s)" in operator.inner_text("#done")
            wait_for(lambda: scene.handled == [scene.envelope.id], what="the replay handled")
            shot(operator, "dead-letters", scene)

            def journey_handled() -> bool:
                operator.goto(f"{scene.url}/messages/{scene.envelope.id}")
                text = operator.inner_text("#timeline")
                return "replayed" in text and "handled" in text

            wait_for(journey_handled, what="the journey shows the replay handled")
            shot(operator, "journey-replayed", scene)
            operator.click("nav >> text=Audit log")
            assert "benefits mapping fixed" in operator.inner_text("#audit")

            viewer = browser.new_page(viewport={"width": 1280, "height": 800})
            sign_in(viewer, scene.url, "vera")
            answer = viewer.goto(f"{scene.url}/dead-letters/{scene.dead_letter_queue}")
            assert answer is not None
            assert answer.status == 403
            assert "Not allowed" in viewer.inner_text("main")
            shot(viewer, "viewer-refused", scene)
        finally:
            browser.close()
    assert scene.handled == [scene.envelope.id]


def test_civicbus_run_serves_the_console_to_a_user_the_cli_added(tmp_path: Path):
    port = free_port()
    config = tmp_path / "civicbus.yaml"
    config.write_text(
        f"ops: {{enabled: false}}\nconsole: {{enabled: true, port: {port}, secret: s}}\n"
        "adapters:\n  register:\n    kind: example\n    seed: {'1': one}\n"
    )
    added = subprocess.run(
        [
            *CIVICBUS,
            "--config",
            "civicbus.yaml",
            "console",
            "users",
            "add",
            "mari",
            "--role",
            "operator",
            "--password-stdin",
            "--save",
        ],
        cwd=tmp_path,
        input="a long passphrase\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    process = civicbus(tmp_path, "--config", "civicbus.yaml", "run")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: reachable(f"{base}/healthz"), what="the console listening")
        with httpx.Client(base_url=base, timeout=10) as http:
            form = http.get("/login")
            token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            signed = http.post(
                "/login",
                data={"csrf": token, "username": "mari", "password": "a long passphrase"},
                follow_redirects=False,
            )
            flows = http.get("/")
            adapters = http.get("/adapters")
    finally:
        process.send_signal(signal.SIGTERM)
        finish(process)
    assert (signed.headers.get("location"), flows.status_code) == ("/", 200)
    assert "Flows" in flows.text
    row = adapters.text.split("<strong>register</strong>", 1)[1].split("</tr>", 1)[0]
    assert ("example" in row, "circuit-closed" in row) == (True, True)


def reachable(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False
