"""`civicbus doctor` on the laptop defaults: the embedded broker and SQLite files, no server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bus.cli import app

pytestmark = pytest.mark.usefixtures("isolated_cli")


def doctor(*options: str, config: Path | None = None) -> tuple[int, dict[str, dict[str, Any]]]:
    """Run `civicbus doctor --json`; its exit code and its checks by name."""
    globals_ = ["--config", str(config)] if config is not None else []
    result = CliRunner().invoke(app, [*globals_, "doctor", "--json", *options])
    report = json.loads(result.stdout)
    return result.exit_code, {check["name"]: check for check in report["checks"]}


def test_a_fresh_folder_fails_on_the_missing_databases_and_says_how_to_fix() -> None:
    code, checks = doctor()

    assert (code, checks["journal"]["ok"], checks["journal"]["fix"]) == (
        1,
        False,
        "run `civicbus doctor --fix` to create it and migrate it to the newest schema",
    )


def test_fix_creates_and_migrates_the_databases_so_every_check_passes() -> None:
    code, checks = doctor("--fix")

    assert (code, [name for name, check in checks.items() if not check["ok"]]) == (0, [])


def test_a_broken_config_file_is_a_failing_check_not_a_crash(tmp_path: Path) -> None:
    config = tmp_path / "broken.yaml"
    config.write_text("journal: [\n", encoding="utf-8")

    code, checks = doctor(config=config)

    assert (code, checks["config"]["ok"]) == (1, False)


def test_a_data_dir_that_is_a_file_fails_with_a_fix(tmp_path: Path) -> None:
    (tmp_path / ".civicbus").write_text("not a folder", encoding="utf-8")

    _, checks = doctor()

    assert (
        checks["data_dir"]["fix"]
        == "move that file away or set CIVICBUS_DATA_DIR to another folder"
    )
