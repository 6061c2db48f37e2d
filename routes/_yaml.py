"""YAML read as nodes that remember where they were written, so that an error found later, by
pydantic or by the route checks, can name the line and column it is about.

PyYAML's `safe_load` forgets positions and silently keeps the last of two equal keys; here the
file is composed first (nodes with marks), duplicate keys are refused, and only then is the
data constructed from the very same nodes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Loc = Sequence[str | int]


@dataclass(frozen=True)
class YamlProblem:
    """A problem in the YAML itself, or one found at a node: where it is and what is wrong."""

    line: int
    column: int
    where: str
    message: str


def compose(text: str) -> list[Node]:
    """Every document of `text` as a node tree; `yaml.YAMLError` when it is not YAML."""
    return [node for node in yaml.compose_all(text, Loader=yaml.SafeLoader) if node is not None]


def syntax_problem(error: yaml.YAMLError) -> YamlProblem:
    """A parser error as a problem at the mark where the parser gave up."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = f"not valid YAML: {problem}" + (f" ({context})" if context else "")
    if mark is None:
        return YamlProblem(0, 0, "", message)
    return YamlProblem(mark.line + 1, mark.column + 1, "", message)


def duplicate_keys(node: Node, path: str = "") -> Iterator[YamlProblem]:
    """Every key given twice in one mapping: YAML says keys are unique, and keeping the last
    one silently would run a route that differs from the one its author reads."""
    if isinstance(node, MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else None
            where = f"{path}.{name}" if path else str(name)
            if name is not None and name in seen:
                yield YamlProblem(
                    key.start_mark.line + 1,
                    key.start_mark.column + 1,
                    path,
                    f"duplicate key {name!r} (first given on line {seen[name]}); "
                    "give each key once",
                )
            elif name is not None:
                seen[name] = key.start_mark.line + 1
            yield from duplicate_keys(value, where)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from duplicate_keys(item, f"{path}[{index}]")


def construct(node: Node) -> Any:
    """The Python data of a node tree, as `yaml.safe_load` would have made it."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def locate(node: Node | None, loc: Loc, *, key: bool = False) -> tuple[int, int]:
    """The 1-based line and column of the value at `loc` below `node` (of its key with `key`).
    Where `loc` leads past what was written (a missing field), the deepest node that exists."""
    if node is None:
        return 0, 0
    mark = node.start_mark
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, MappingNode):
            entry = next(
                (
                    (k, v)
                    for k, v in node.value
                    if isinstance(k, ScalarNode) and k.value == str(part)
                ),
                None,
            )
            if entry is None:
                break
            node = entry[1]
            mark = entry[0].start_mark if key and last else node.start_mark
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        else:
            break
    return mark.line + 1, mark.column + 1


def child(node: Node, loc: Loc) -> Node | None:
    """The node at `loc` below `node`, or None when nothing was written there."""
    for part in loc:
        if isinstance(node, MappingNode):
            found = [v for k, v in node.value if isinstance(k, ScalarNode) and k.value == str(part)]
            if not found:
                return None
            node = found[-1]
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return None
    return node
