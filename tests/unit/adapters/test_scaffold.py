"""`adapters._scaffold`: a new kind's package from templates, names checked first."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from adapters._scaffold import ScaffoldError, check_kind_name, scaffold_kind


def test_the_package_declares_its_entry_point_in_the_civicbus_group(tmp_path: Path) -> None:
    root = scaffold_kind("land-register", tmp_path)
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["civicbus.adapters"] == {
        "land-register": "civicbus_adapter_land_register:LandRegisterAdapter"
    }


def test_the_generated_python_files_compile(tmp_path: Path) -> None:
    root = scaffold_kind("land-register", tmp_path)
    sources = sorted(root.rglob("*.py"))
    for source in sources:
        compile(source.read_text(), str(source), "exec")
    assert [p.relative_to(root).as_posix() for p in sources] == [
        "src/civicbus_adapter_land_register/__init__.py",
        "src/civicbus_adapter_land_register/_legacy.py",
        "tests/test_contract.py",
    ]


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    mine = tmp_path / "civicbus-adapter-land-register"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(ScaffoldError, match="exists already"):
        scaffold_kind("land-register", tmp_path)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("name", ["Land_Register", "land register", "9lives", "-land", ""])
def test_a_name_that_is_not_lower_case_words_joined_by_hyphens_is_refused(name: str) -> None:
    with pytest.raises(ScaffoldError, match="lower-case"):
        check_kind_name(name)


def test_the_refusal_suggests_a_valid_name() -> None:
    with pytest.raises(ScaffoldError, match="'land-register'"):
        check_kind_name("Land_Register")


def test_the_name_of_an_installed_kind_is_refused() -> None:
    with pytest.raises(ScaffoldError, match="installed already"):
        check_kind_name("example")
