"""Personal data: the marker on model fields, and the one masking function everything uses.

Paths name fields by their Python name, dotted through nested models; ``[]`` stands for every
item of a list, tuple or set, and ``{}`` for every value of a dict: ``address.street``,
``children[].given_name``, ``contacts{}.phone``. A field marked personal is masked whole, even
when it holds a model or a list.
"""

from __future__ import annotations

import copy
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

MASKED = "***"

_SEQUENCES = (list, tuple, set, frozenset, Sequence)
_MAPPINGS = (dict, Mapping)
_UNIONS = (Union, types.UnionType)


@dataclass(frozen=True)
class Personal:
    """Marks a field as personal data: ``name: Annotated[str, Personal()]``.

    Logs, the console and exports mask such a field unless the reader's role allows otherwise;
    the exported JSON Schema says ``"x-personal": true`` so other systems can do the same.
    """

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["x-personal"] = True
        return schema


def _is_personal(metadata: Sequence[Any]) -> bool:
    return any(isinstance(item, Personal) for item in metadata)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def personal_fields(model: type[BaseModel]) -> set[str]:
    """Paths of every personal field of ``model``, nested models and containers included.

    A model that contains itself (a person with relatives) is followed one level deep, not
    forever: ``name`` and ``relatives[].name``. ``mask`` follows the data, to any depth.
    """
    found: set[str] = set()
    _collect_model(model, "", found, ())
    return found


def _collect_model(
    model: type[BaseModel], path: str, found: set[str], seen: tuple[type[BaseModel], ...]
) -> None:
    if seen.count(model) > 1:
        return
    for name, field in model.model_fields.items():
        child = f"{path}.{name}" if path else name
        if _is_personal(field.metadata):
            found.add(child)
        else:
            _collect(field.annotation, child, found, (*seen, model))


def _collect(
    annotation: Any, path: str, found: set[str], seen: tuple[type[BaseModel], ...]
) -> None:
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        if _is_personal(annotation.__metadata__):
            found.add(path)
        else:
            _collect(args[0], path, found, seen)
    elif origin in _UNIONS:
        for arg in args:
            _collect(arg, path, found, seen)
    elif origin in _SEQUENCES and args:
        _collect(args[0], f"{path}[]", found, seen)
    elif origin in _MAPPINGS and len(args) == 2:
        _collect(args[1], f"{path}{{}}", found, seen)
    elif _is_model(annotation):
        _collect_model(annotation, path, found, seen)


def mask(data: Any, model: type[BaseModel] | None, *, reveal: bool = False) -> Any:
    """A copy of a JSON-able payload with every personal value replaced by ``MASKED``.

    ``None`` stays ``None``, so a reader still sees which fields were empty. With ``model=None``
    every string is masked: a payload nobody described is treated as personal. So is any key
    the model does not declare, and any value typed ``Any``. ``reveal=True`` returns an
    unmasked copy, for the roles allowed to see personal data.
    """
    if reveal:
        return copy.deepcopy(data)
    if model is None:
        return _mask_strings(data)
    return _mask_model(data, model)


def _mask_strings(data: Any) -> Any:
    if isinstance(data, str):
        return MASKED
    if isinstance(data, Mapping):
        return {key: _mask_strings(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_mask_strings(item) for item in data]
    return copy.deepcopy(data)


def _mask_model(data: Any, model: type[BaseModel]) -> Any:
    if not isinstance(data, Mapping):
        return _mask_strings(data)
    fields = model.model_fields
    masked = {}
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            masked[key] = _mask_strings(value)
        elif _is_personal(field.metadata):
            masked[key] = _masked_whole(value)
        else:
            masked[key] = _mask_typed(value, field.annotation)
    return masked


def _masked_whole(value: Any) -> Any:
    return None if value is None else MASKED


# One return per kind of annotation: the function reads as a table, so it stays one function.
def _mask_typed(value: Any, annotation: Any) -> Any:  # noqa: PLR0911
    if value is None:
        return None
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        if _is_personal(annotation.__metadata__):
            return _masked_whole(value)
        return _mask_typed(value, args[0])
    if origin in _UNIONS:
        return _mask_union(value, [arg for arg in args if arg is not type(None)])
    if origin in _SEQUENCES and args and isinstance(value, list | tuple):
        return [_mask_typed(item, args[0]) for item in value]
    if origin in _MAPPINGS and len(args) == 2 and isinstance(value, Mapping):
        return {key: _mask_typed(item, args[1]) for key, item in value.items()}
    if _is_model(annotation):
        return _mask_model(value, annotation)
    if origin is Literal and not isinstance(value, Mapping | list | tuple):
        return value
    if annotation is Any or origin is not None or isinstance(value, Mapping | list | tuple):
        # An untyped value, or a shape the annotation does not explain: assume it is personal.
        return _mask_strings(value)
    return copy.deepcopy(value)


def _mask_union(value: Any, options: list[Any]) -> Any:
    if len(options) == 1:
        return _mask_typed(value, options[0])
    # Which member the value is cannot be known without validating it; masking it as each
    # member in turn hides everything that any member would hide (and unknown keys too).
    for option in options:
        value = _mask_typed(value, option)
    return value
