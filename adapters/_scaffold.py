"""`civicbus adapters new NAME`: a new adapter kind as its own installable package, with a
config model, an adapter with one operation, its entry point and a passing contract test.

The files come from templates under `adapters/_templates/kind/` (string.Template: `${name}`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import entry_points
from importlib.resources import files
from pathlib import Path
from string import Template

from adapters._registry import ENTRY_POINT_GROUP

_KIND_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")

# template file -> where it goes in the new package, `{package}` filled in.
_LAYOUT = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "__init__.py.tmpl": "src/{package}/__init__.py",
    "_legacy.py.tmpl": "src/{package}/_legacy.py",
    "test_contract.py.tmpl": "tests/test_contract.py",
}


class ScaffoldError(ValueError):
    """The new kind cannot be written; the message says what to change."""


@dataclass(frozen=True)
class KindNames:
    """Every spelling of one kind's name: `land-register` is the kind and entry point,
    `civicbus-adapter-land-register` the distribution and folder,
    `civicbus_adapter_land_register` the package, `LandRegister` the class prefix."""

    name: str

    @property
    def distribution(self) -> str:
        return f"civicbus-adapter-{self.name}"

    @property
    def package(self) -> str:
        return self.distribution.replace("-", "_")

    @property
    def prefix(self) -> str:
        return "".join(word.capitalize() for word in self.name.split("-"))


def check_kind_name(name: str) -> KindNames:
    """The names of a new kind, or ScaffoldError saying why `name` cannot be one."""
    if not _KIND_NAME.fullmatch(name):
        suggestion = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        if suggestion and not suggestion[0].isalpha():
            suggestion = f"kind-{suggestion}"
        hint = f" (e.g. {suggestion!r})" if suggestion else ""
        raise ScaffoldError(
            f"{name!r} cannot name an adapter kind: use lower-case letters and digits in words "
            f"joined by hyphens, starting with a letter{hint}"
        )
    if entry_points(group=ENTRY_POINT_GROUP, name=name):
        raise ScaffoldError(
            f"an adapter kind named {name!r} is installed already; choose another name "
            "(`civicbus adapters list` shows the installed kinds)"
        )
    return KindNames(name)


def scaffold_kind(name: str, into: Path) -> Path:
    """Write the package of a new adapter kind `name` into `into`; return its folder.

    Refuses a folder that exists, so nothing a developer wrote is overwritten.
    """
    names = check_kind_name(name)
    root = into / names.distribution
    if root.exists():
        raise ScaffoldError(
            f"{root} exists already; remove it, or choose another --dir or name — "
            "nothing was written"
        )
    templates = files("adapters") / "_templates" / "kind"
    values = {
        "name": names.name,
        "distribution": names.distribution,
        "package": names.package,
        "prefix": names.prefix,
        # Sorted here: where the class names fall among the others depends on the name.
        "exports": repr(
            sorted(
                ["LookupReply", "LookupRequest", f"{names.prefix}Adapter", f"{names.prefix}Config"]
            )
        ).replace("'", '"'),
    }
    rendered = {
        root / target.format(package=names.package): Template(
            (templates / source).read_text(encoding="utf-8")
        ).substitute(values)
        for source, target in _LAYOUT.items()
    }
    for path, text in rendered.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
