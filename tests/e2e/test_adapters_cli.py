"""`civicbus adapters new` as a developer uses it: the generated kind installs into a fresh
virtualenv and its generated contract test passes there."""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(300)

CIVICBUS = [sys.executable, "-c", "from bus.cli import _adapters, main; main()"]


def run(*command: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CIVICBUS_", "PYTHON"))}
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def fresh_venv(path: Path) -> Path:
    """A virtualenv that sees civicbus and the test tools from this interpreter's
    site-packages, and has no pip or setuptools of its own to shadow them: nothing is
    downloaded, and the build backend is the one civicbus itself is built with."""
    made = run(
        sys.executable,
        "-m",
        "venv",
        "--system-site-packages",
        "--without-pip",
        path,
        cwd=path.parent,
    )
    assert made.returncode == 0, made.stderr
    python = path / "bin" / "python"
    purelib = run(
        python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=path.parent
    ).stdout.strip()
    # --system-site-packages reaches the base interpreter's packages; when this interpreter is
    # itself a virtualenv (.venv), its site-packages (with civicbus installed) comes in here.
    lines = [f"import site; site.addsitedir({d!r})" for d in site.getsitepackages()]
    (Path(purelib) / "_civicbus_dev.pth").write_text("\n".join(lines) + "\n")
    return python


def test_a_new_kind_installs_and_passes_its_generated_contract_test(tmp_path: Path) -> None:
    created = run(*CIVICBUS, "adapters", "new", "land-register", "--dir", tmp_path, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    package = tmp_path / "civicbus-adapter-land-register"
    python = fresh_venv(tmp_path / "venv")

    installed = run(
        python,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-build-isolation",
        "--no-input",
        "-e",
        package,
        cwd=tmp_path,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    tested = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=package)

    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_new_refuses_a_folder_that_exists(tmp_path: Path) -> None:
    (tmp_path / "civicbus-adapter-land-register").mkdir()
    refused = run(*CIVICBUS, "adapters", "new", "land-register", "--dir", tmp_path, cwd=tmp_path)
    assert (refused.returncode, "exists already" in refused.stderr) == (2, True)
