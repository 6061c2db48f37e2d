"""The configuration shown in the README is configuration civicbus accepts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters import adapter_kind
from bus import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"yaml-{i}" for i in range(len(BLOCKS))])
def test_each_yaml_block_of_the_readme_is_valid_configuration(block: str):
    document: dict[str, Any] = yaml.safe_load(block)
    Settings.model_validate(document)
    for config in document.get("adapters", {}).values():
        adapter_kind(config["kind"]).config_model.model_validate(config)


def test_the_readme_shows_adapter_configuration():
    assert len(BLOCKS) >= 2
