"""The type flow through a route's steps, checked before it runs.

Each step is read with the type of the message that reaches it (None where it cannot be known:
a wildcard channel, after a translate function): every schema and operation it names must
exist, what it sends to an operation must be that operation's request type, the fields it reads
and writes must be fields of the types involved, and its expressions must compile and use only
what a message offers. The type it hands on is what the next step is checked with.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from routes._expr import Expression, ExpressionError
from routes._loader import LoadedRoute
from routes._mapping import MappingError, import_function
from routes._model import Const, Expr, FieldMapping, Lookup, Step, Target
from routes._paths import Path, PathError
from routes._problems import Problem
from routes._world import World

Loc = tuple[str | int, ...]

# What every expression sees (routes/_message.py: Message.context), with the extensions a
# split puts on each item.
MESSAGE_VARIABLES = frozenset(
    {"data", "type", "subject", "id", "correlationid", "source", "time", "splitindex", "splitsize"}
)
COMPLETION_VARIABLES = MESSAGE_VARIABLES | {"parts", "count"}
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_DATA_FIELD = re.compile(r"(?<![\w.])data\.([A-Za-z_]\w*)")
# Steps that hand on the data they were given (an enrich adds to it).
_KEEPS_DATA = frozenset(
    {"filter", "wiretap", "delay", "throttle", "to", "recipients", "enrich", "choice"}
)


class TypeFlow:
    """Walks one route's steps with the type of the message at each, collecting problems."""

    def __init__(self, loaded: LoadedRoute, world: World) -> None:
        self.loaded = loaded
        self.world = world
        self.problems: list[Problem] = []
        # Fields an enrich step added to the data, on top of its type's; a step that makes a
        # message of another type starts afresh.
        self._enriched: frozenset[str] = frozenset()

    def walk(self, steps: list[Step], current: str | None, *, loc: Loc, label: str) -> str | None:
        """Check `steps` reached by messages of type `current`; the type that leaves them."""
        for index, step in enumerate(steps):
            made = self._step(step, current, (*loc, index, step.kind), f"{label}{index}")
            if step.kind not in _KEEPS_DATA or made != current:
                self._enriched = frozenset()
            current = made
        return current

    # -- one step ------------------------------------------------------------------------------

    def _step(self, step: Step, current: str | None, loc: Loc, label: str) -> str | None:
        self._label = f"step {label}:{step.kind}"
        check = getattr(self, f"_{step.kind}")
        made: str | None = check(step.spec, current, loc, label)
        return made

    # Each `_<kind>` checks one kind of step and gives the type of the message it hands on.

    def _validate(self, spec: Any, current: str | None, loc: Loc, label: str) -> str | None:
        known = self._schema(spec.schema_, (*loc, "schema"), spec.version)
        return spec.schema_ if known else None

    def _filter(self, spec: Any, current: str | None, loc: Loc, label: str) -> str | None:
        self._expression(spec.when, (*loc, "when"), current)
        return current

    def _split(self, spec: Any, current: str | None, loc: Loc, label: str) -> str | None:
        self._path(spec.items, current, (*loc, "items"))
        return spec.as_ if self._schema(spec.as_, (*loc, "as")) else None

    def _aggregate(self, spec: Any, current: str | None, loc: Loc, label: str) -> str | None:
        self._expression(spec.key, (*loc, "key"), current)
        if spec.complete_when is not None:
            self._expression(
                spec.complete_when, (*loc, "complete_when"), current, COMPLETION_VARIABLES
            )
        return spec.as_ if self._schema(spec.as_, (*loc, "as")) else None

    def _throttle(self, spec: Any, current: str | None, loc: Loc, label: str) -> str | None:
        if spec.key is not None:
            self._expression(spec.key, (*loc, "key"), current)
        return current

    def _wiretap(self, spec: Any, current: str | None, loc: Loc, label: str) -> str | None:
        return current

    def _delay(self, spec: Any, current: str | None, loc: Loc, label: str) -> str | None:
        return current

    def _call(self, spec: Any, current: str | None, loc: Loc, label: str) -> str | None:
        operation = self._operation(spec.operation, current, (*loc, "operation"))
        return operation.response if operation is not None else None

    def _to(self, spec: Target, current: str | None, loc: Loc, label: str) -> str | None:
        self._target(spec, current, loc)
        return current

    def _recipients(self, spec: Any, current: str | None, loc: Loc, label: str) -> str | None:
        for index, target in enumerate(spec.to):
            self._target(target, current, (*loc, "to", index))
        if spec.expr is not None:
            self._expression(spec.expr, (*loc, "expr"), current)
        return current

    def _translate(self, spec: Any, current: str | None, loc: Loc, label: str) -> str | None:
        if spec.to is not None and not self._schema(spec.to, (*loc, "to")):
            return None
        made = spec.to or current
        if spec.function is not None:
            try:
                import_function(spec.function)
            except MappingError as error:
                self._problem((*loc, "function"), str(error))
            return made
        self._mapping(spec.fields, current, (*loc, "fields"))
        self._fields_of(made, spec.fields, (*loc, "fields"), complete=not spec.keep)
        return made

    def _choice(self, spec: Any, current: str | None, loc: Loc, label: str) -> str | None:
        made: list[str | None] = []
        for index, when in enumerate(spec.when):
            self._label = f"step {label}:choice"
            self._expression(when.test, (*loc, "when", index, "test"), current)
            branch = (*loc, "when", index, "steps")
            made.append(self.walk(when.steps, current, loc=branch, label=f"{label}.when{index}."))
        if spec.otherwise:
            branch = (*loc, "otherwise")
            made.append(self.walk(spec.otherwise, current, loc=branch, label=f"{label}.else."))
        # After the choice a message is of its branch's type; one type only if all agree.
        return made[0] if len(set(made)) == 1 else None

    def _enrich(self, spec: Any, current: str | None, loc: Loc, label: str) -> str | None:
        if spec.request is None:
            self._operation(spec.operation, current, (*loc, "operation"))
            return current
        operation = self._operation(spec.operation, None, (*loc, "operation"))
        self._mapping(spec.request, current, (*loc, "request"))
        if operation is not None:
            self._fields_of(operation.request, spec.request, (*loc, "request"), complete=True)
            reply = self.world.json_schema(operation.response) or {}
            added = [spec.into] if spec.into else list(reply.get("properties", {}))
            self._enriched = self._enriched | frozenset(added)
        return current  # the reply is added to the data, which keeps its type

    def _target(self, target: Target, current: str | None, loc: Loc) -> None:
        if target.operation is not None:
            self._operation(target.operation, current, (*loc, "operation"))

    # -- what a step names ---------------------------------------------------------------------

    def _schema(self, name: str, loc: Loc, version: int | None = None) -> bool:
        if self.world.has_schema(name, version):
            return True
        if name in self.world.registry:
            known = ", ".join(f"v{v}" for v in self.world.registry.versions(name))
            self._problem(loc, f"schema {name!r} has no version {version}; it has {known}")
            return False
        self._problem(loc, f"schema {name!r} is not registered{_did_you_mean(name, self._types())}")
        return False

    def _operation(self, name: str, current: str | None, loc: Loc) -> Any:
        operation = self.world.operations.get(name)
        if operation is None:
            hint = _did_you_mean(name, self.world.operations)
            known = ", ".join(sorted(self.world.operations)) or "none; configure adapters"
            self._problem(loc, f"operation {name!r} does not exist{hint}; known: {known}")
            return None
        if current is not None and current != operation.request:
            self._problem(
                loc,
                f"{name} takes {operation.request}, but the message here is {current}; "
                f"translate it first (translate: {{to: {operation.request}, fields: ...}})",
            )
        return operation

    def _types(self) -> list[str]:
        return self.world.registry.types()

    # -- fields and expressions ----------------------------------------------------------------

    def _mapping(self, fields: dict[str, FieldMapping], current: str | None, loc: Loc) -> None:
        for name, source in fields.items():
            at = (*loc, name)
            if isinstance(source, str):
                self._path(source, current, at)
            elif isinstance(source, Expr):
                self._expression(source.expr, (*at, "expr"), current)
            elif isinstance(source, Lookup):
                if source.lookup not in self.loaded.route.lookups:
                    known = ", ".join(sorted(self.loaded.route.lookups)) or "none"
                    self._problem(
                        (*at, "lookup"),
                        f"lookup table {source.lookup!r} is not defined under the route's "
                        f"`lookups:` (defined: {known})",
                    )
                self._path(source.from_, current, (*at, "from"))
            else:
                assert isinstance(source, Const)

    def _fields_of(
        self, type: str | None, fields: Iterable[str], loc: Loc, *, complete: bool
    ) -> None:
        schema = self.world.json_schema(type) if type is not None else None
        if schema is None:
            return
        properties = schema.get("properties", {})
        written = list(fields)
        if schema.get("additionalProperties") is not True:
            for name in written:
                if name not in properties:
                    hint = _did_you_mean(name, properties)
                    self._problem(
                        (*loc, name),
                        f"{type} has no field {name!r}{hint}; its fields: {', '.join(properties)}",
                        key=True,
                    )
        missing = [name for name in schema.get("required", []) if name not in written]
        if complete and missing:
            self._problem(
                loc,
                f"{type} requires {', '.join(missing)}, which the mapping does not set; map them "
                "(or keep: true to start from the input's fields)",
            )

    def _path(self, source: str, current: str | None, loc: Loc) -> None:
        try:
            path = Path(source)
        except PathError as error:
            self._problem(loc, str(error))
            return
        if path.data_field is not None:
            self._data_field(path.data_field, f"reads {source}", current, loc)

    def _data_field(self, field: str, reads: str, current: str | None, loc: Loc) -> None:
        """A top-level field of `data` read where messages of type `current` arrive."""
        schema = self.world.json_schema(current) if current is not None else None
        if schema is None or schema.get("additionalProperties") is True:
            return
        if field in self._enriched:
            return
        properties = schema.get("properties", {})
        if field not in properties:
            self._problem(
                loc,
                f"{reads} but {current} has no field {field!r}"
                f"{_did_you_mean(field, properties)}; its fields: {', '.join(properties)}",
            )

    def _expression(
        self,
        source: str,
        loc: Loc,
        current: str | None,
        variables: frozenset[str] = MESSAGE_VARIABLES,
    ) -> None:
        try:
            expression = Expression(source)
        except ExpressionError as error:
            self._problem(loc, f"{source!r} is {_first_error(str(error))}")
            return
        unknown = sorted(set(expression.variables) - variables)
        if unknown:
            self._problem(
                loc,
                f"{source!r} uses {', '.join(unknown)}, which a message does not have; an "
                f"expression here sees {', '.join(sorted(variables))}",
            )
        # `data.x` outside string literals: the fields the expression reads.
        for field in dict.fromkeys(_DATA_FIELD.findall(_STRING.sub('""', source))):
            self._data_field(field, f"{source!r} reads data.{field}", current, loc)

    def _problem(self, loc: Loc, message: str, *, key: bool = False) -> None:
        self.problems.append(self.loaded.problem(loc, self._label, message, key=key))


def _first_error(text: str) -> str:
    # The CEL parser's message spans lines (the source, a caret); one line says the same.
    match = re.search(r"ERROR: <input>:\d+:(\d+): (.*)", text)
    if match is None:
        return text.splitlines()[0]
    return f"not valid CEL: {match.group(2)} (at character {match.group(1)})"


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
