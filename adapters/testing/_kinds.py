"""Finding the kind under test by its entry point, and only that one: one kind's broken
import must not fail every other kind's contract."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from adapters._base import Adapter
from adapters._registry import ENTRY_POINT_GROUP


def registered_kind(name: str) -> type[Adapter[Any]]:
    """The adapter class installed under entry point `name` in `civicbus.adapters`."""
    found = entry_points(group=ENTRY_POINT_GROUP, name=name)
    if not found:
        raise AssertionError(
            f"no entry point {name!r} in group {ENTRY_POINT_GROUP!r}; declare it in the "
            'kind\'s pyproject.toml under [project.entry-points."civicbus.adapters"] and '
            "reinstall the package (pip install -e .)"
        )
    loaded = next(iter(found)).load()
    if not (isinstance(loaded, type) and issubclass(loaded, Adapter)):
        raise AssertionError(f"entry point {name!r} loads {loaded!r}, not an Adapter subclass")
    return loaded


def build_registered(name: str, config: dict[str, Any]) -> Adapter[Any]:
    """An instance `name` of the kind `config["kind"]`, its config validated by the kind."""
    kind = registered_kind(config["kind"])
    return kind(name, kind.config_model.model_validate(config))
