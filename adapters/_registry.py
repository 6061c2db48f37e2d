"""Adapter kinds are found by entry point (group `civicbus.adapters`), never imported by name:
a third party adds a kind by installing a package, and the built-in kinds register the same way.
"""

from __future__ import annotations

import difflib
import re
from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError

from adapters._base import Adapter
from adapters._errors import AdapterConfigError, UnknownAdapterKind

ENTRY_POINT_GROUP = "civicbus.adapters"
_INSTANCE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def adapter_kind_names() -> list[str]:
    """The names of every installed adapter kind, without importing any of them."""
    return sorted({entry.name for entry in entry_points(group=ENTRY_POINT_GROUP)})


def adapter_kinds() -> dict[str, type[Adapter[Any]]]:
    """Every installed adapter kind by name (imports them all)."""
    return {name: adapter_kind(name) for name in adapter_kind_names()}


def adapter_kind(name: str) -> type[Adapter[Any]]:
    """The kind registered as `name`, imported alone (a broken third-party kind does not
    break the others); an unknown name gets a "did you mean"."""
    for entry in entry_points(group=ENTRY_POINT_GROUP, name=name):
        loaded = entry.load()
        if not (isinstance(loaded, type) and issubclass(loaded, Adapter)):
            raise TypeError(
                f"entry point {entry.name} = {entry.value} in group {ENTRY_POINT_GROUP} is not "
                "an Adapter subclass; fix the package that declares it"
            )
        return loaded
    kinds = adapter_kind_names()
    close = difflib.get_close_matches(name, kinds, n=1)
    hint = f" — did you mean {close[0]!r}?" if close else ""
    raise UnknownAdapterKind(
        f"no adapter kind named {name!r}{hint} Installed kinds: {', '.join(sorted(kinds))}. "
        f"A new kind registers under the entry-point group {ENTRY_POINT_GROUP!r} "
        "(`civicbus adapters new NAME` scaffolds one)."
    )


def build_adapter(name: str, config: dict[str, Any]) -> Adapter[Any]:
    """An adapter instance from its YAML config (`adapters: {NAME: {kind: ..., ...}}`)."""
    if not _INSTANCE_NAME.fullmatch(name):
        raise AdapterConfigError(
            f"adapter name {name!r} must be lower-case words joined by hyphens, like "
            "'population-register': it becomes part of operation and queue names"
        )
    kind_name = config.get("kind")
    if not isinstance(kind_name, str):
        raise AdapterConfigError(f"adapters.{name}: `kind` is missing; say which adapter kind")
    kind = adapter_kind(kind_name)
    try:
        typed = kind.config_model.model_validate(config)
    except ValidationError as exc:
        problems = "; ".join(
            f"adapters.{name}.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            for err in exc.errors()
        )
        raise AdapterConfigError(f"invalid adapter config: {problems}") from exc
    return kind(name, typed)
