"""Cycles between routes: a route that sends, directly or through others, to a channel it takes
from would pass a message round for ever.

Channels are routing keys on a topic exchange, and a route's `from.channel` is a pattern
matched as RabbitMQ does: words split on dots, `*` is exactly one word, `#` zero or more.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from routes._loader import LoadedRoute
from routes._model import Step, Target
from routes._problems import Problem


def topic_matches(pattern: str, key: str) -> bool:
    """Whether the routing key `key` matches the binding `pattern` (RabbitMQ topic rules)."""
    return _match(pattern.split("."), key.split("."))


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        # `#` takes zero words, or one and stays for more.
        return _match(rest, words) or (bool(words) and _match(pattern, words[1:]))
    if not words:
        return False
    return (head in {"*", words[0]}) and _match(rest, words[1:])


@dataclass(frozen=True)
class Send:
    """A channel a route sends to, and the label and location of the step that does."""

    channel: str
    label: str
    loc: tuple[str | int, ...]


def sends(steps: Sequence[Step], *, loc: tuple[str | int, ...] = ("steps",)) -> Iterator[Send]:
    """Every channel named by a `to`, `wiretap` or `recipients` step, nested ones included
    (channels computed by a recipients expression are not known before the route runs)."""
    yield from _sends(steps, loc, "")


def _sends(steps: Sequence[Step], loc: tuple[str | int, ...], label: str) -> Iterator[Send]:
    for index, step in enumerate(steps):
        at, name = (*loc, index, step.kind), f"{label}{index}:{step.kind}"
        spec = step.spec
        if (isinstance(spec, Target) and spec.channel is not None) or step.kind == "wiretap":
            yield Send(spec.channel, name, (*at, "channel"))
        elif step.kind == "recipients":
            for n, target in enumerate(spec.to):
                if target.channel is not None:
                    yield Send(target.channel, name, (*at, "to", n, "channel"))
        elif step.kind == "choice":
            for n, when in enumerate(spec.when):
                yield from _sends(when.steps, (*at, "when", n, "steps"), f"{label}{index}.when{n}.")
            yield from _sends(spec.otherwise, (*at, "otherwise"), f"{label}{index}.else.")


def channel_cycles(routes: Sequence[LoadedRoute]) -> list[Problem]:
    """One problem per cycle of routes, naming every hop: route, step and channel."""
    edges: dict[int, list[tuple[int, Send]]] = {}
    for source, route in enumerate(routes):
        for send in sends(route.route.steps):
            for target, other in enumerate(routes):
                pattern = other.route.from_.channel
                if pattern is not None and topic_matches(pattern, send.channel):
                    edges.setdefault(source, []).append((target, send))
    problems: list[Problem] = []
    seen: set[tuple[int, ...]] = set()
    for start in range(len(routes)):
        for cycle in _cycles_from(start, edges):
            # Each cycle once, whichever of its routes the search began at.
            key = tuple(sorted({hop for hop, _ in cycle}))
            if key in seen:
                continue
            seen.add(key)
            problems.append(_problem(routes, cycle))
    return problems


def _cycles_from(
    start: int, edges: dict[int, list[tuple[int, Send]]]
) -> Iterator[list[tuple[int, Send]]]:
    """Simple cycles through `start` whose other routes come after it (so each is found from
    its first route only); a path is (route, the send that leaves it) pairs."""
    stack: list[tuple[int, list[tuple[int, Send]]]] = [(start, [])]
    while stack:
        node, path = stack.pop()
        for target, send in edges.get(node, []):
            hop = [*path, (node, send)]
            if target == start:
                yield hop
            elif target > start and target not in {n for n, _ in path}:
                stack.append((target, hop))


def _problem(routes: Sequence[LoadedRoute], cycle: list[tuple[int, Send]]) -> Problem:
    first, send = cycle[0]
    hops = " -> ".join(
        f"{routes[index].name} ({hop.label} sends to {hop.channel})" for index, hop in cycle
    )
    back = routes[first]
    pattern = back.route.from_.channel
    if len(cycle) == 1:
        message = (
            f"sends to {send.channel}, which its own input {pattern} matches: every message "
            "would come back for ever; send to another channel"
        )
    else:
        message = (
            f"routes form a cycle: {hops} -> {back.name} (from {pattern}); "
            "break it so messages cannot come round again"
        )
    return routes[first].problem(send.loc, f"step {send.label}", message)
