"""Static checks of a set of routes against a `World`, before any of them runs.

Route names are unique, everything a route names exists (schemas, operations, sources, lookup
tables, translate functions, error codes), each step gets the type it expects, expressions
compile, and no route's output comes back to its own input.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from routes._cycles import channel_cycles
from routes._loader import LoadedRoute
from routes._model import Route
from routes._pipeline import CompiledRoute
from routes._problems import Problem
from routes._typeflow import TypeFlow
from routes._world import World
from schemas import OPERATION_ERROR_CODES


def check_routes(routes: Iterable[LoadedRoute | Route], world: World) -> list[Problem]:
    """Every problem of `routes` (loaded from files, or built in Python) in `world`; empty
    when they may run."""
    loaded = [r if isinstance(r, LoadedRoute) else LoadedRoute(r) for r in routes]
    problems = _duplicates(loaded)
    for route in loaded:
        problems += check_route(route, world)
    problems += channel_cycles(loaded)
    return sorted(problems, key=lambda p: (p.file or "", p.line, p.column))


def check_route(loaded: LoadedRoute, world: World) -> list[Problem]:
    """The problems of one route on its own."""
    problems = _errors(loaded)
    flow = TypeFlow(loaded, world)
    current = _input_type(loaded, world, problems)
    flow.walk(list(loaded.route.steps), current, loc=("steps",), label="")
    problems += flow.problems
    if not flow.problems:
        # What the walk cannot see (a branch holding an aggregate, say) the compiler refuses.
        try:
            CompiledRoute(loaded.route)
        except (ValueError, ImportError) as error:
            problems.append(_compile_problem(loaded, str(error)))
    return problems


def _compile_problem(loaded: LoadedRoute, message: str) -> Problem:
    """The compiler's error at the step its label names (`2.when0.1:to: ...`)."""
    label, found, rest = message.partition(": ")
    steps, colon, _kind = label.partition(":")
    loc: list[str | int] = ["steps"]
    for part in steps.split(".") if found and colon else []:
        if part.isdigit():
            loc.append(int(part))
        elif part.startswith("when") and part[4:].isdigit():
            loc += ["choice", "when", int(part[4:]), "steps"]
        elif part == "else":
            loc += ["choice", "otherwise"]
        else:
            return loaded.problem(("steps",), "", f"does not compile: {message}")
    if len(loc) == 1:
        return loaded.problem(("steps",), "", f"does not compile: {message}")
    return loaded.problem(tuple(loc), f"step {label}", rest)


def _input_type(loaded: LoadedRoute, world: World, problems: list[Problem]) -> str | None:
    """The type of the messages that enter the route, None when it cannot be known."""
    origin = loaded.route.from_
    if origin.source is not None:
        event_type = world.sources.get(origin.source)
        if event_type is None:
            close = difflib.get_close_matches(origin.source, list(world.sources), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(sorted(world.sources)) or "none; configure adapters with sources"
            problems.append(
                loaded.problem(
                    ("from", "source"),
                    "from",
                    f"source {origin.source!r} does not exist{hint}; known: {known}",
                )
            )
            return None
        return origin.type or event_type
    if origin.type is not None:
        if not world.has_schema(origin.type):
            close = difflib.get_close_matches(origin.type, world.registry.types(), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"type {origin.type!r} is not registered{hint}"
            problems.append(loaded.problem(("from", "type"), "from", message))
            return None
        return origin.type
    channel = origin.channel
    # An event type is the default channel of its events, so such a channel says the type.
    return channel if channel is not None and world.has_schema(channel) else None


def _errors(loaded: LoadedRoute) -> list[Problem]:
    problems = []
    for index, code in enumerate(loaded.route.errors.retry_on or []):
        if code not in OPERATION_ERROR_CODES:
            close = difflib.get_close_matches(code, sorted(OPERATION_ERROR_CODES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(
                loaded.problem(
                    ("errors", "retry_on", index),
                    "errors.retry_on",
                    f"{code!r} is not an operation error code{hint}; the codes are "
                    f"{', '.join(sorted(OPERATION_ERROR_CODES))}",
                )
            )
    return problems


def _duplicates(routes: Sequence[LoadedRoute]) -> list[Problem]:
    first: dict[str, LoadedRoute] = {}
    problems = []
    for route in routes:
        earlier = first.setdefault(route.name, route)
        if earlier is not route:
            line, _ = earlier.position(("route",))
            place = f"{earlier.file}:{line}" if earlier.file is not None else "in Python"
            problems.append(
                route.problem(
                    ("route",),
                    "",
                    f"route name {route.name!r} is already used ({place}); names identify "
                    "routes in the journal and dead-letter queues, so give each its own",
                )
            )
    return problems
