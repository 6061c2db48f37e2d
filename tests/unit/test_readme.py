"""The configuration shown in the README is configuration civicbus accepts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from adapters import adapter_kind
from bus import Settings
from routes import World, check_routes, load_routes
from schemas import Person, default_registry

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def is_route_file(document: dict[str, Any]) -> bool:
    routes = document.get("routes")
    return isinstance(routes, list) and bool(routes) and isinstance(routes[0], dict)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"yaml-{i}" for i in range(len(BLOCKS))])
def test_each_yaml_block_of_the_readme_is_valid_configuration_or_route_file(
    block: str, tmp_path: Path
):
    document: dict[str, Any] = yaml.safe_load(block)
    if is_route_file(document):
        # Checked against the demo's schemas, with the operations the README's config offers.
        route_file = tmp_path / "routes.yaml"
        route_file.write_text(block, encoding="utf-8")
        world = World(registry=default_registry())
        for name in readme_operations():
            world.add_operation(name, *readme_operation_models(name))
        assert [str(p) for p in check_routes(load_routes([route_file]), world)] == []
        return
    Settings.model_validate(document)
    for config in document.get("adapters", {}).values():
        adapter_kind(config["kind"]).config_model.model_validate(config)


def test_the_readme_shows_adapter_configuration():
    assert len(BLOCKS) >= 2


class GetPerson(BaseModel):
    person_id: str


def readme_operations() -> list[str]:
    return ["population-register.get-person"]


def readme_operation_models(name: str) -> tuple[type[BaseModel], type[BaseModel]]:
    return GetPerson, Person


def test_the_readme_shows_a_route_file():
    assert any(is_route_file(yaml.safe_load(block)) for block in BLOCKS)
