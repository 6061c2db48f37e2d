"""Starting the civic demo: the legacy stand-ins, the settings that wire them, then — once the
gateway and console listen — the citizen portal, the benefits clerk and the tax office's
nightly job. `civicbus run --demo` drives it; everything stops with the bus."""

from __future__ import annotations

import secrets
import socket
import string
import threading
from pathlib import Path
from typing import Any

import typer
import yaml
from pydantic import SecretStr

from bus import Bus, Settings
from bus._console import hash_password
from bus._console_settings import ConsoleUser
from bus._gateway import ClientStore, GrantKind
from examples.demo._actor import Actor
from examples.demo._benefits import BenefitsClerk, benefits_database
from examples.demo._portal import LOOKUP, SUBMIT, CitizenPortal
from examples.demo._residents import RESIDENTS
from examples.demo._tax_office import NightlyIncomeJob
from examples.legacy.population_register import (
    REGISTER,
    RunningRegister,
    start_population_register,
)

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "civicbus.yaml"
PORTAL_CLIENT = "citizen-portal"
CONSOLE_USER = "demo"
_REGISTER_PORT = 8123

_PORTAL_GRANTS: list[tuple[GrantKind, str]] = [
    ("operation", SUBMIT),
    ("operation", LOOKUP),
    ("operation", "benefits-db.find-client"),
    ("event", "civic.person.address-changed"),
    ("event", "benefits.client.changed"),
]


def demo_settings(register_url: str, demo_dir: Path) -> dict[str, Any]:
    """The demo's `civicbus.yaml` with its placeholders filled in, as settings fields."""
    text = string.Template(CONFIG.read_text(encoding="utf-8")).substitute(
        demo_dir=demo_dir.resolve().as_posix(),
        register=register_url,
        here=HERE.as_posix(),
    )
    loaded: dict[str, Any] = yaml.safe_load(text)
    return {
        "adapters": loaded["adapters"],
        "routes": [Path(p) for p in loaded["routes"]],
        "schemas": loaded["schemas"],
    }


def free_port(host: str, preferred: int) -> int:
    """`preferred` when nothing listens there, else 0 (any free port): a newcomer's machine
    may well run something on 8080 already."""
    if preferred == 0:
        return 0
    with socket.socket() as probe:
        try:
            probe.bind((host, preferred))
        except OSError:
            return 0
    return preferred


class CivicDemo:
    """One run of the demo. `prepare` before the bus starts, `started` once the gateway and
    console listen, `stop` at the end (also after a failed start)."""

    def __init__(self, interval: float = 2.0) -> None:
        self.interval = interval
        self.stopping = threading.Event()
        self.register: RunningRegister | None = None
        self.password = secrets.token_urlsafe(9)
        self.demo_dir = Path(".civicbus/demo")
        self._actors: list[Actor] = []

    def prepare(self, settings: Settings) -> Settings:
        self.demo_dir = settings.data_dir / "demo"
        for folder in ("tax-office/in", "tax-office/out"):
            (self.demo_dir / folder).mkdir(parents=True, exist_ok=True)
        benefits_database(self.demo_dir / "benefits.db")
        for r in RESIDENTS:
            REGISTER.add(
                r.person_id,
                r.given_name,
                r.family_name,
                r.birth_date,
                (r.street, r.postal_code, r.city, r.country),
            )
        self.register, register_url = start_population_register(
            free_port("127.0.0.1", _REGISTER_PORT)
        )
        user = ConsoleUser(password_hash=hash_password(self.password), role="admin")
        demo = settings.model_copy(
            update={
                **demo_settings(register_url, self.demo_dir),
                "gateway": settings.gateway.model_copy(
                    update={
                        "enabled": True,
                        "port": free_port(settings.gateway.host, settings.gateway.port),
                    }
                ),
                "console": settings.console.model_copy(
                    update={
                        "enabled": True,
                        "port": free_port(settings.console.host, settings.console.port),
                        "users": {**settings.console.users, CONSOLE_USER: user},
                        # A password per run: sign-ins need not outlive the process.
                        "secret": settings.console.secret or SecretStr(secrets.token_urlsafe(32)),
                    }
                ),
            }
        )
        self._write_config(demo)
        return demo

    @property
    def config_file(self) -> Path:
        return self.demo_dir / "civicbus.yaml"

    def _write_config(self, settings: Settings) -> None:
        """The demo's settings as a file for the commands of a second terminal
        (`export CIVICBUS_CONFIG=...`): they then know its adapters, routes and types. No
        users, passwords or keys go into it."""
        document = {
            "data_dir": str(settings.data_dir),
            "broker_url": settings.broker,
            "state_url": settings.state,
            "journal": {"url": settings.journal_url},
            "exchange": settings.exchange,
            "queue_prefix": settings.queue_prefix,
            "schemas": settings.schemas,
            "routes": [str(path) for path in settings.routes],
            "adapters": settings.adapters,
        }
        header = "# Written by `civicbus run --demo` for the commands of a second terminal.\n"
        self.config_file.write_text(
            header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )

    def started(self, bus: Bus, gateway_url: str, console_url: str | None) -> None:
        """Give the portal its key and grants, say where everything is, set things going."""
        key = self._portal_key(bus.settings.state)
        typer.echo(self._banner(key, gateway_url, console_url), err=True)
        benefits = bus.settings.adapters["benefits-db"]["url"]
        # The bus's own stop: the portal makes no call once the bus has begun to stop, so
        # none waits for an operation server that is no longer there.
        self.stopping = bus.stopping
        self._actors = [
            CitizenPortal(gateway_url, key, self.interval, self.stopping),
            BenefitsClerk(benefits, max(self.interval * 5, 1.0), self.stopping),
            NightlyIncomeJob(self.demo_dir / "tax-office" / "in", 120.0, self.stopping),
        ]
        for actor in self._actors:
            actor.start()

    def _banner(self, key: str, gateway_url: str, console_url: str | None) -> str:
        assert self.register is not None  # prepare started it
        tax = self.demo_dir / "tax-office"
        example = f"{gateway_url}/api/v1/services/population-register/get-person"
        body = f'{{"person_id": "{RESIDENTS[0].person_id}"}}'
        return "\n".join(
            [
                "",
                typer.style("The civic demo", bold=True),
                "  A citizen portal changes addresses through the gateway; the population",
                "  register (SOAP) makes the change; the benefits database (SQL) and the tax",
                "  office's next batch file follow it; the tax office's nightly income file",
                "  reaches the benefits database. One change in twelve names someone the",
                "  register does not know: it ends as a dead letter the console shows.",
                "",
                f"  console   {console_url or '(not served)'}",
                f"            sign in as {CONSOLE_USER}, password {self.password}",
                f"  gateway   {gateway_url}",
                f"  api docs  {gateway_url}/api/v1/docs   (OpenAPI: /api/v1/openapi.json)",
                f"  api key   {key}   (client {PORTAL_CLIENT})",
                f"  try       curl -s -H 'X-API-Key: {key}' \\",
                f"              -H 'Content-Type: application/json' -d '{body}' {example}",
                f"  register  {self.register.url}?wsdl   (the SOAP population register)",
                f"  benefits  {self.demo_dir / 'benefits.db'}   (SQLite)",
                f"  tax files {tax / 'in'}  and  {tax / 'out'}",
                f"  cli       export CIVICBUS_CONFIG={self.config_file}   (a second terminal:",
                "            civicbus routes list, civicbus tail, civicbus dlq list ...)",
                "",
            ]
        )

    def stop(self) -> None:
        self.stopping.set()
        for actor in self._actors:
            actor.join()
        if self.register is not None:
            self.register.stop()

    def _portal_key(self, state_url: str) -> str:
        """A fresh key for the portal client (created on the first run, kept with its
        grants after that): a key is shown once and never stored."""
        store = ClientStore(state_url)
        try:
            if store.by_name(PORTAL_CLIENT) is None:
                key = store.add(PORTAL_CLIENT, description="The civic demo's citizen portal.")
            else:
                key = store.rotate_key(PORTAL_CLIENT)
            for kind, target in _PORTAL_GRANTS:
                store.grant(PORTAL_CLIENT, kind, target)
        finally:
            store.close()
        return key
