"""Routes built in Python: one fluent method per step kind, making the very `Route` a route file
would make, so both are loaded, checked and run the same way.

    route("moves").from_channel("civic.person.address-changed")
        .filter("data.address.city == 'Utrecht'")
        .translate(to="records.put-record.request", fields={"key": "data.person_id"})
        .to_operation("records.put-record")
        .build()
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import ValidationError

from routes._model import FieldMapping, Route, Target
from routes._problems import Problem, RouteFileError
from routes._readable import readable_errors, where


def _given(**options: Any) -> dict[str, Any]:
    # Options left out take the model's defaults, exactly as keys left out of a file do.
    return {key: value for key, value in options.items() if value is not None}


class Steps:
    """Steps in order; a route's own, or one branch of a choice (`steps().to_channel(...)`)."""

    def __init__(self) -> None:
        self._steps: list[dict[str, Any]] = []

    def _add(self, kind: str, spec: dict[str, Any]) -> Self:
        self._steps.append({kind: spec})
        return self

    def validate(self, schema: str, version: int | None = None) -> Self:
        return self._add("validate", _given(schema=schema, version=version))

    def translate(
        self,
        *,
        to: str | None = None,
        fields: dict[str, FieldMapping | dict[str, Any]] | None = None,
        function: str | None = None,
        keep: bool | None = None,
    ) -> Self:
        """`fields` maps each field made to a path (`"data.person.id"`) or to
        `{"const": ...}`, `{"expr": ...}`, `{"lookup": ..., "from": ...}`."""
        return self._add("translate", _given(to=to, fields=fields, function=function, keep=keep))

    def filter(self, when: str) -> Self:
        return self._add("filter", {"when": when})

    def choice(self, when: dict[str, Steps], otherwise: Steps | None = None) -> Self:
        """`when` maps each CEL test to its branch, in order; the first true one is taken."""
        spec: dict[str, Any] = {
            "when": [{"test": test, "steps": branch._steps} for test, branch in when.items()]
        }
        if otherwise is not None:
            spec["otherwise"] = otherwise._steps
        return self._add("choice", spec)

    def split(self, items: str, *, as_: str) -> Self:
        return self._add("split", {"items": items, "as": as_})

    def aggregate(
        self,
        *,
        as_: str,
        key: str | None = None,
        size: int | None = None,
        timeout: float | str | None = None,
        complete_when: str | None = None,
    ) -> Self:
        spec = _given(key=key, size=size, timeout=timeout, complete_when=complete_when)
        return self._add("aggregate", {"as": as_, **spec})

    def enrich(
        self,
        operation: str,
        *,
        request: dict[str, FieldMapping | dict[str, Any]] | None = None,
        into: str | None = None,
        timeout: float | str | None = None,
    ) -> Self:
        spec = _given(operation=operation, request=request, into=into, timeout=timeout)
        return self._add("enrich", spec)

    def wiretap(self, channel: str) -> Self:
        return self._add("wiretap", {"channel": channel})

    def throttle(
        self,
        *,
        rate: float | None = None,
        burst: int | None = None,
        concurrency: int | None = None,
        key: str | None = None,
    ) -> Self:
        spec = _given(rate=rate, burst=burst, concurrency=concurrency, key=key)
        return self._add("throttle", spec)

    def delay(self, seconds: float | str) -> Self:
        return self._add("delay", {"seconds": seconds})

    def call(self, operation: str, *, timeout: float | str | None = None) -> Self:
        return self._add("call", _given(operation=operation, timeout=timeout))

    def to_channel(self, channel: str) -> Self:
        return self._add("to", {"channel": channel})

    def to_operation(self, operation: str, *, timeout: float | str | None = None) -> Self:
        return self._add("to", _given(operation=operation, timeout=timeout))

    def recipients(self, *channels: str | Target, expr: str | None = None) -> Self:
        """Static recipients (a string is a channel) and/or a CEL expression giving channels."""
        targets = [
            {"channel": c} if isinstance(c, str) else c.model_dump(exclude_unset=True)
            for c in channels
        ]
        return self._add("recipients", _given(to=targets or None, expr=expr))


class RouteBuilder(Steps):
    """A route under construction; `build()` validates it into a `Route`."""

    def __init__(self, name: str, description: str | None = None) -> None:
        super().__init__()
        self._route: dict[str, Any] = _given(route=name, description=description)

    def from_channel(self, channel: str, *, type: str | None = None) -> Self:
        self._route["from"] = _given(channel=channel, type=type)
        return self

    def from_source(self, source: str, *, type: str | None = None) -> Self:
        self._route["from"] = _given(source=source, type=type)
        return self

    def errors(
        self,
        *,
        max_attempts: int | None = None,
        backoff: list[float | str] | None = None,
        retry_on: list[str] | None = None,
        dead_letter: str | None = None,
    ) -> Self:
        self._route["errors"] = _given(
            max_attempts=max_attempts, backoff=backoff, retry_on=retry_on, dead_letter=dead_letter
        )
        return self

    def lookup(self, name: str, table: dict[str, Any]) -> Self:
        self._route.setdefault("lookups", {})[name] = table
        return self

    def build(self) -> Route:
        """The route; `RouteFileError` says what is missing or wrong, as for a file."""
        data = {**self._route, "steps": self._steps}
        try:
            return Route.model_validate(data)
        except ValidationError as error:
            name = self._route.get("route", "?")
            problems = [
                Problem(None, 0, 0, f"route {name}, {where(item.loc)}".rstrip(", "), item.message)
                for item in readable_errors(error, data)
            ]
            raise RouteFileError(problems) from None


def route(name: str, description: str | None = None) -> RouteBuilder:
    """Start building the route `name`."""
    return RouteBuilder(name, description)


def steps() -> Steps:
    """Start the steps of a choice's branch."""
    return Steps()
