"""`civicbus console users add`: a scrypt hash printed or saved, never the password."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bus import Settings
from bus._console import verify_password
from bus.cli import app

pytestmark = pytest.mark.usefixtures("isolated_cli")


def test_users_add_prints_a_console_users_entry_without_the_password():
    result = CliRunner().invoke(
        app, ["console", "users", "add", "mari", "--role", "operator"], input="s3cret\ns3cret\n"
    )
    entry = yaml.safe_load(result.stdout.split("\n", 2)[-1])["console"]["users"]["mari"]
    assert result.exit_code == 0, result.output
    assert (entry["role"], verify_password("s3cret", entry["password_hash"])) == (
        "operator",
        True,
    )
    assert "s3cret" not in result.stdout.split("\n", 2)[-1]


def test_users_add_saves_into_the_config_file_and_keeps_other_settings(tmp_path: Path):
    config = tmp_path / "civicbus.yaml"
    config.write_text("prefetch: 8\n")
    result = CliRunner().invoke(
        app,
        ["--config", str(config), "console", "users", "add", "jaan", "--password-stdin", "--save"],
        input="pw\n",
    )
    saved = Settings.model_validate(yaml.safe_load(config.read_text()))
    assert result.exit_code == 0, result.output
    assert (saved.prefetch, saved.console.users["jaan"].role) == (8, "viewer")
    assert verify_password("pw", saved.console.users["jaan"].password_hash)


def test_users_add_refuses_an_unknown_role():
    result = CliRunner().invoke(
        app, ["console", "users", "add", "mari", "--role", "root", "--password-stdin"], input="x\n"
    )
    assert result.exit_code == 2
    assert "viewer, operator or admin" in result.output
