"""Whether a new version of a schema still reads what the previous version wrote.

The rule is backward compatibility: every document valid under the old JSON Schema must stay
valid under the new one, since old messages sit in queues, journals and replays and are read
with the new model after the upcasts. So, recursively through nested objects, arrays and
``$defs``, these are breaks:

- a removed field (models forbid unknown fields, so old data with it would be refused);
- a changed type, e.g. string -> integer, a new ``format`` or a dropped enum value;
  widening is allowed (integer -> number, T -> T | None, a new enum value);
- a new required field, or a field that was optional becoming required;
- a tightened constraint (shorter maxLength, new pattern, ...), or unknown fields refused
  where they were allowed.

An upcast does not excuse a break: it is for reshaping data within a compatible evolution.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

# Keywords whose new value must not refuse what the old one allowed, and which way is tighter.
_UPPER_BOUNDS = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")
_LOWER_BOUNDS = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")
_UNIONS = ("anyOf", "oneOf")


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Every way ``new`` refuses documents ``old`` accepted, one line each, by field path."""
    return _Comparison(old, new).run()


class _Comparison:
    def __init__(self, old: Schema, new: Schema) -> None:
        self.old_root = old
        self.new_root = new
        self.problems: list[str] = []
        # Recursive models refer to themselves; each pair of definitions is compared once.
        self.compared: set[tuple[str, str]] = set()

    def run(self) -> list[str]:
        self.compare(self.old_root, self.new_root, "")
        return self.problems

    def report(self, path: str, problem: str) -> None:
        self.problems.append(f"{path or '(root)'}: {problem}")

    def resolve(self, schema: Schema, root: Schema) -> Schema:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            target = root.get("$defs", {}).get(name, {})
            siblings = {key: value for key, value in schema.items() if key != "$ref"}
            schema = {**target, **siblings}
        return schema

    def branches(self, schema: Schema, root: Schema) -> list[Schema]:
        schema = self.resolve(schema, root)
        for keyword in _UNIONS:
            if keyword in schema:
                return [
                    branch for option in schema[keyword] for branch in self.branches(option, root)
                ]
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return self.branches({**schema["allOf"][0], **_without(schema, "allOf")}, root)
        return [schema]

    def compare(self, old: Schema, new: Schema, path: str) -> None:
        pair = (_ref(old), _ref(new))
        if all(pair):
            if pair in self.compared:
                return
            self.compared.add(pair)
        new_branches = self.branches(new, self.new_root)
        if any(not _types(branch) for branch in new_branches):
            return  # the new schema accepts anything
        for old_branch in self.branches(old, self.old_root):
            old_types = _types(old_branch)
            candidates = [b for b in new_branches if _accepts(_types(b), old_types)]
            if not candidates:
                self.report(path, _type_change(old_branch, new_branches))
                continue
            # Of several fitting branches (a union of models), the closest one decides.
            attempts = [self.attempt(old_branch, branch, path) for branch in candidates]
            best = min(attempts, key=lambda attempt: len(attempt.problems))
            self.problems += best.problems
            self.compared |= best.compared

    def attempt(self, old: Schema, new: Schema, path: str) -> _Comparison:
        trial = _Comparison(self.old_root, self.new_root)
        trial.compared = set(self.compared)
        trial.compare_details(old, new, path)
        return trial

    def compare_details(self, old: Schema, new: Schema, path: str) -> None:
        if old.get("format") != new.get("format") and new.get("format") is not None:
            self.report(
                path, f"type changed from {_describe(old)} to {_describe(new)} (new format)"
            )
        self.compare_values(old, new, path)
        self.compare_bounds(old, new, path)
        if "object" in _types(old):
            self.compare_objects(old, new, path)
        if "array" in _types(old) and "items" in old and "items" in new:
            self.compare(old["items"], new["items"], f"{path}[]")

    def compare_values(self, old: Schema, new: Schema, path: str) -> None:
        new_values = _allowed_values(new)
        if new_values is None:
            return
        old_values = _allowed_values(old)
        if old_values is None:
            self.report(path, f"now only accepts {sorted(map(repr, new_values))}")
            return
        dropped = [value for value in old_values if value not in new_values]
        if dropped:
            self.report(path, f"no longer accepts {', '.join(map(repr, dropped))}")

    def compare_bounds(self, old: Schema, new: Schema, path: str) -> None:
        for keyword in _UPPER_BOUNDS:
            if keyword in new and (keyword not in old or new[keyword] < old[keyword]):
                self.report(path, f"{keyword} tightened to {new[keyword]}")
        for keyword in _LOWER_BOUNDS:
            if keyword in new and (keyword not in old or new[keyword] > old[keyword]):
                self.report(path, f"{keyword} tightened to {new[keyword]}")
        if "pattern" in new and new["pattern"] != old.get("pattern"):
            self.report(path, f"pattern changed to {new['pattern']!r}")

    def compare_objects(self, old: Schema, new: Schema, path: str) -> None:
        old_fields = old.get("properties", {})
        new_fields = new.get("properties", {})
        old_required = set(old.get("required", ()))
        new_required = set(new.get("required", ()))
        for name in old_fields:
            if name not in new_fields:
                self.report(_join(path, name), "field removed")
        for name, schema in new_fields.items():
            where = _join(path, name)
            if name not in old_fields:
                if name in new_required:
                    self.report(where, "new required field without a default")
                continue
            if name in new_required and name not in old_required:
                self.report(where, "was optional, now required")
            self.compare(old_fields[name], schema, where)
        self.compare_extra(old, new, path)

    def compare_extra(self, old: Schema, new: Schema, path: str) -> None:
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        if new_extra is False and old_extra is not False:
            self.report(path, "now refuses fields it did not declare")
        elif isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self.compare(old_extra, new_extra, f"{path}{{}}")


def _without(schema: Schema, keyword: str) -> Schema:
    return {key: value for key, value in schema.items() if key != keyword}


def _ref(schema: Schema) -> str:
    return str(schema.get("$ref", ""))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _allowed_values(schema: Schema) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    if "enum" in schema:
        return list(schema["enum"])
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _types(schema: Schema) -> set[str]:
    """The JSON types a schema branch accepts; empty means any."""
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return set(declared)
    values = _allowed_values(schema)
    if values is not None:
        return {_json_type(value) for value in values}
    if "properties" in schema or "additionalProperties" in schema:
        return {"object"}
    return set()


def _accepts(new_types: set[str], old_types: set[str]) -> bool:
    if not new_types:
        return True
    if not old_types:
        return False
    # Every integer is a number, so integer -> number is a widening, not a break.
    widened = new_types | ({"integer"} if "number" in new_types else set())
    return old_types <= widened


def _type_change(old: Schema, new_branches: list[Schema]) -> str:
    if _types(old) == {"null"}:
        return "no longer accepts null"
    accepted = " | ".join(_describe(branch) for branch in new_branches)
    return f"type changed from {_describe(old)} to {accepted}"


def _describe(schema: Schema) -> str:
    kinds = " | ".join(sorted(_types(schema))) or "any"
    return f"{kinds}({schema['format']})" if "format" in schema else kinds
