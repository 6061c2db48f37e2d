"""Loading route files: YAML documents of `routes: [...]` into `Route`s that remember where
they were written.

A set of files loads whole or not at all: every problem in every file is collected and raised
together as one `RouteFileError`, so a bus never runs half of a change, and an author fixes
everything in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, SequenceNode

from routes._model import Route, RouteFile
from routes._problems import Problem, RouteFileError
from routes._readable import readable_errors, where
from routes._yaml import Loc, child, compose, construct, duplicate_keys, locate, syntax_problem

ROUTE_FILE_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, eq=False)
class LoadedRoute:
    """A route and where it was written: `file` and its YAML `node` (None when built in Python),
    so a check can point at the line of any step or field."""

    route: Route
    file: Path | None = None
    node: Node | None = None

    @property
    def name(self) -> str:
        return self.route.name

    def position(self, loc: Loc = (), *, key: bool = False) -> tuple[int, int]:
        """Line and column of the value at `loc` inside the route (e.g. `("steps", 2)`), or of
        its key with `key`."""
        return locate(self.node, loc, key=key)

    def problem(self, loc: Loc, where: str, message: str, *, key: bool = False) -> Problem:
        line, column = self.position(loc, key=key)
        file = str(self.file) if self.file is not None else None
        return Problem(file, line, column, f"route {self.name}, {where}".rstrip(", "), message)


def route_files(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """The files named, with a folder standing for its `*.yaml` and `*.yml` files (sorted, not
    recursive); a path that does not exist is a problem."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in ROUTE_FILE_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(
                Problem(str(path), 0, 0, "", "no such file or folder; check the `routes:` setting")
            )
    return files, problems


def load_routes(paths: Iterable[Path]) -> list[LoadedRoute]:
    """Every route in the files and folders `paths`; `RouteFileError` lists every problem."""
    files, problems = route_files(paths)
    loaded: list[LoadedRoute] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(str(file), 0, 0, "", f"cannot read the file: {error}"))
            continue
        routes, found = parse_routes(text, file)
        loaded += routes
        problems += found
    if problems:
        raise RouteFileError(problems)
    return loaded


def parse_routes(text: str, file: Path) -> tuple[list[LoadedRoute], list[Problem]]:
    """The routes of one file's text, or the problems that keep it from loading."""
    name = str(file)
    try:
        documents = compose(text)
    except yaml.YAMLError as error:
        found = syntax_problem(error)
        return [], [Problem(name, found.line, found.column, found.where, found.message)]
    if not documents:
        return [], [Problem(name, 1, 1, "", "the file is empty; write `routes:` with a list")]
    routes: list[LoadedRoute] = []
    problems: list[Problem] = []
    for document in documents:
        found_routes, found_problems = _document(document, file)
        routes += found_routes
        problems += found_problems
    return (routes if not problems else []), problems


def _document(node: Node, file: Path) -> tuple[list[LoadedRoute], list[Problem]]:
    name = str(file)
    duplicates = [Problem(name, d.line, d.column, d.where, d.message) for d in duplicate_keys(node)]
    if duplicates:
        return [], duplicates
    if not isinstance(node, MappingNode):
        line, column = locate(node, ())
        return [], [
            Problem(
                name,
                line,
                column,
                "",
                "a route file is a mapping with the key `routes:` (a list of routes); "
                f"this document is a {_kind(node)}",
            )
        ]
    data = construct(node)
    try:
        parsed = RouteFile.model_validate(data)
    except ValidationError as error:
        return [], [_problem(name, node, data, item) for item in readable_errors(error, data)]
    return [
        LoadedRoute(route, file, child(node, ("routes", index)))
        for index, route in enumerate(parsed.routes)
    ], []


def _problem(file: str, node: Node, data: Any, item: Any) -> Problem:
    line, column = locate(node, item.loc, key=item.at_key)
    return Problem(file, line, column, _where(item.loc, data), item.message)


def _where(loc: Sequence[str | int], data: Any) -> str:
    # `routes[2].steps[1]` reads better as `route orders, steps[1]`.
    if len(loc) >= 2 and loc[0] == "routes" and isinstance(loc[1], int):
        routes = data.get("routes") if isinstance(data, dict) else None
        route = routes[loc[1]] if isinstance(routes, list) and loc[1] < len(routes) else None
        name = route.get("route") if isinstance(route, dict) else None
        if isinstance(name, str):
            rest = where(loc[2:])
            return f"route {name}" + (f", {rest}" if rest else "")
    return where(loc)


def _kind(node: Node) -> str:
    return "list" if isinstance(node, SequenceNode) else f"single value ({node.value!r})"
