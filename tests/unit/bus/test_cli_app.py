"""The `civicbus` frame: help that teaches, a version, and configuration errors as one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bus.cli import app

pytestmark = pytest.mark.usefixtures("isolated_cli")


def command_paths() -> list[list[str]]:
    """Every command and group of the app, as the words that invoke it."""
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


@pytest.mark.parametrize("path", command_paths(), ids=lambda path: " ".join(path) or "civicbus")
def test_every_help_page_shows_an_example(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])

    assert "Example: civicbus" in result.stdout


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(app, ["--version"])

    assert result.stdout.startswith("civicbus 0.")


def test_a_broken_config_file_is_one_error_line_and_exit_code_2(tmp_path: Path) -> None:
    config = tmp_path / "civicbus.yaml"
    config.write_text("prefetch: [1, 2\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["--config", str(config), "schemas", "list"])

    assert (result.exit_code, len(result.stderr.splitlines())) == (2, 1)
    assert result.stderr.startswith("error: config file")


def test_an_unknown_setting_is_named_in_the_error(tmp_path: Path) -> None:
    config = tmp_path / "civicbus.yaml"
    config.write_text("prefecth: 3\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["--config", str(config), "schemas", "list"])

    assert "prefecth" in result.stderr
