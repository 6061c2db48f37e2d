"""`civicbus doctor` against the real RabbitMQ and PostgreSQL on loopback."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bus._doctor import Check, run_checks
from bus._settings import Settings
from bus.cli import app
from bus.migrations import migrate

pytestmark = [
    pytest.mark.rabbitmq,
    pytest.mark.postgres,
    pytest.mark.usefixtures("isolated_cli"),
]


def unused_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def settings_for(tmp_path: Path, *, broker: str, journal: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        broker_url=broker,
        state_url=f"sqlite:///{tmp_path / 'data' / 'state.db'}",
        journal={"url": journal},
    )


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_everything_passes_on_a_running_rabbitmq_and_a_migrated_postgres_journal(
    tmp_path: Path, rabbitmq_url: str, postgres_url: str
) -> None:
    settings = settings_for(tmp_path, broker=rabbitmq_url, journal=postgres_url)
    migrate(settings.journal_url)
    migrate(settings.state)

    checks = run_checks(settings)

    assert [(c.name, c.ok) for c in checks] == [
        ("data_dir", True),
        ("broker", True),
        ("journal", True),
        ("state", True),
    ]


def test_a_refused_broker_fails_with_how_to_start_it(
    tmp_path: Path, postgres_url: str, rabbitmq_url: str
) -> None:
    refused = f"amqp://guest:guest@127.0.0.1:{unused_loopback_port()}//"
    settings = settings_for(tmp_path, broker=refused, journal=postgres_url)

    broker = by_name(run_checks(settings))["broker"]

    assert not broker.ok
    assert "refused the connection" in broker.detail
    assert broker.fix == "start it (`rabbitmq-server -detached`) or set CIVICBUS_BROKER_URL"


def test_a_broker_that_never_answers_fails_within_the_check_timeout(tmp_path: Path) -> None:
    with socket.socket() as silent:
        # Listening without ever answering: the TCP handshake completes, AMQP never starts.
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        settings = Settings(
            data_dir=tmp_path / "data", broker_url=f"amqp://guest:guest@127.0.0.1:{port}//"
        )

        broker = by_name(run_checks(settings, timeout=0.5))["broker"]

    assert "did not answer within 0.5s" in broker.detail


def test_an_unmigrated_journal_fails_until_doctor_fix_migrates_it(
    tmp_path: Path, rabbitmq_url: str, postgres_url: str
) -> None:
    config = tmp_path / "civicbus.yaml"
    config.write_text(
        f"data_dir: {tmp_path / 'data'}\n"
        f"broker_url: {rabbitmq_url}\n"
        f"journal:\n  url: {postgres_url}\n",
        encoding="utf-8",
    )

    def journal_check(*options: str) -> dict[str, Any]:
        args = ["--config", str(config), "doctor", "--json", *options]
        result = CliRunner().invoke(app, args)
        checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
        return checks["journal"]

    before = journal_check()
    after = journal_check("--fix")

    assert (before["ok"], before["fix"], after["ok"]) == (
        False,
        "run `civicbus doctor --fix` to migrate it",
        True,
    )
