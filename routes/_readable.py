"""pydantic's validation errors of a route file, said the way the file is written.

pydantic reports a step as `steps.1.filter.filter.when` (the union's tag, then the field) and a
field mapping that fits no form as four errors, one per member of the union. An author wrote
`steps[1].filter.when` and wants one sentence saying which forms a mapping may take.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from routes._model import STEP_KINDS

# The members of the FieldMapping union as pydantic names them in a location, and which key of
# a mapping says the author meant that member.
_MAPPING_MEMBERS = {"str": None, "Const": "const", "Expr": "expr", "Lookup": "lookup"}
_MAPPING_FORMS = (
    "a path (data.person.id), {const: value}, {expr: CEL expression} or {lookup: table, from: path}"
)


@dataclass(frozen=True)
class Readable:
    """One error: `loc` as written in the file (to find its line), and what to say."""

    loc: tuple[str | int, ...]
    message: str
    at_key: bool = False  # point at the key (an unknown field) rather than at its value


def readable_errors(error: ValidationError, data: Any) -> list[Readable]:
    found: list[Readable] = []
    unions: dict[tuple[str | int, ...], list[dict[str, Any]]] = {}
    for item in error.errors():
        loc = _without_tags(item["loc"])
        member = next((i for i, part in enumerate(loc) if part in _MAPPING_MEMBERS), None)
        if member is not None:
            unions.setdefault(loc[:member], []).append({**item, "loc": loc})
            continue
        found.append(_readable(loc, dict(item)))
    for prefix, items in unions.items():
        found.extend(_union(prefix, items, _at(data, prefix)))
    return found


def where(loc: Sequence[str | int]) -> str:
    """`("steps", 1, "filter", "when")` as `steps[1].filter.when`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _without_tags(loc: Sequence[str | int]) -> tuple[str | int, ...]:
    # A step's tag equals its only key, so `filter.filter` is said once.
    out: list[str | int] = []
    for part in loc:
        if out and part == out[-1] and part in STEP_KINDS and isinstance(out[-2], int):
            continue
        out.append(part)
    return tuple(out)


def _readable(loc: tuple[str | int, ...], item: dict[str, Any]) -> Readable:
    kind, message = item["type"], str(item["msg"])
    if kind == "unknown_step":
        return Readable(loc, _unknown_step(item["input"]))
    if kind == "missing":
        return Readable(loc, f"{loc[-1]} is required here")
    if kind == "extra_forbidden":
        return Readable(loc, _unknown_field(loc), at_key=True)
    return Readable(loc, message.removeprefix("Value error, ").removeprefix("Assertion failed, "))


def _unknown_step(value: Any) -> str:
    kinds = ", ".join(STEP_KINDS)
    if isinstance(value, dict) and len(value) == 1:
        (name,) = value
        close = difflib.get_close_matches(str(name), STEP_KINDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{name!r} is not a step kind{hint}; the kinds are {kinds}"
    if isinstance(value, dict):
        names = ", ".join(repr(key) for key in value)
        return f"a step has one key, its kind, not {names}; indent the step's options under it"
    return f"a step is a mapping with one key, its kind ({kinds}); got {value!r}"


def _unknown_field(loc: tuple[str | int, ...]) -> str:
    name = str(loc[-1])
    # Inside a step the options it takes are known: name them, and the closest one.
    kind = loc[-2] if len(loc) >= 2 else None
    if isinstance(kind, str) and kind in STEP_KINDS:
        spec = next(iter(STEP_KINDS[kind].model_fields.values())).annotation
        if isinstance(spec, type) and issubclass(spec, BaseModel):
            options = [info.alias or field for field, info in spec.model_fields.items()]
            close = difflib.get_close_matches(name, options, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            return f"unknown field {name!r}; {hint}{kind} takes {', '.join(options)}"
    return f"unknown field {name!r}; remove it or check its spelling and indentation"


def _union(
    prefix: tuple[str | int, ...], items: list[dict[str, Any]], value: Any
) -> list[Readable]:
    # An author who wrote {expr: ...} meant an Expr: report only what is wrong with that form.
    if isinstance(value, dict):
        for member, key in _MAPPING_MEMBERS.items():
            if key is not None and key in value:
                chosen = [i for i in items if i["loc"][len(prefix)] == member]
                return [_readable(prefix + tuple(i["loc"][len(prefix) + 1 :]), i) for i in chosen]
    return [Readable(prefix, f"expected {_MAPPING_FORMS}; got {value!r}")]


def _at(data: Any, loc: Sequence[str | int]) -> Any:
    for part in loc:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data
