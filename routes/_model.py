"""The route model: what a route file says and what the Python builder builds.

A route takes messages from a channel (a routing key on the events exchange; an event type is
the default channel of its events) through steps, the enterprise integration patterns, to
channels or legacy operations. In YAML each step is a one-key mapping (`- filter: {...}`), so
a route reads top to bottom like the flow it describes.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    model_validator,
)

_NAME = r"^[a-z0-9]+([-_][a-z0-9]+)*$"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def to_seconds(value: object) -> float:
    """`2.5`, `"250ms"`, `"30s"`, `"5m"`, `"1h"` as seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a duration; write seconds (2.5) or 250ms, 30s, 5m, 1h")
    return float(match.group(1)) * _UNITS[match.group(2)]


# The published JSON Schema must accept what the loader accepts ("30s" as well as 30), or an
# editor would flag valid route files; pydantic alone would describe a plain number.
Duration = Annotated[
    float,
    BeforeValidator(to_seconds),
    Field(ge=0),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": _DURATION.pattern},
            ],
            "description": "Seconds (2.5), or a number with a unit: 250ms, 30s, 5m, 1h.",
        }
    ),
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Const(_Spec):
    const: Any


class Expr(_Spec):
    """A CEL expression (https://cel.dev) over the message: `data`, `subject`, `type`..."""

    expr: str = Field(min_length=1)


class Lookup(_Spec):
    """A value looked up in one of the route's `lookups` tables by the value at `from`."""

    lookup: str = Field(min_length=1)
    from_: str = Field(alias="from", min_length=1)
    default: Any = None


# A plain string is a path into the message: `data.person.id`, `subject`, `data.lines[0]`.
FieldMapping = str | Const | Expr | Lookup


class Target(_Spec):
    """Where a message goes: a channel on the bus or a legacy operation (`adapter.operation`)."""

    channel: str | None = Field(None, min_length=1)
    operation: str | None = Field(None, min_length=1)
    timeout: Duration = Field(30.0, description="Seconds to wait for an operation's reply.")

    @model_validator(mode="after")
    def _one_destination(self) -> Target:
        if (self.channel is None) == (self.operation is None):
            raise ValueError("give exactly one of channel or operation")
        return self


# -- the steps ---------------------------------------------------------------------------------


class ValidateSpec(_Spec):
    schema_: str = Field(alias="schema", min_length=1, description="Schema (event type) name.")
    version: int | None = Field(None, ge=1)


class TranslateSpec(_Spec):
    to: str | None = Field(None, description="The type of the message made; default unchanged.")
    fields: dict[str, FieldMapping] | None = None
    keep: bool = Field(False, description="Start from the input's data instead of empty.")
    function: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
        description="`package.module:function` taking and returning the data dict.",
    )

    @model_validator(mode="after")
    def _fields_or_function(self) -> TranslateSpec:
        if (self.fields is None) == (self.function is None):
            raise ValueError("give exactly one of fields (a mapping) or function (module:name)")
        return self


class FilterSpec(_Spec):
    when: str = Field(min_length=1, description="CEL; the message goes on only when true.")


class When(_Spec):
    test: str = Field(min_length=1, description="CEL; the first true branch takes the message.")
    steps: list[Step] = Field(min_length=1)


class ChoiceSpec(_Spec):
    when: list[When] = Field(min_length=1)
    otherwise: list[Step] = Field(
        default_factory=list, description="Steps when no test is true; none drops the message."
    )


class SplitSpec(_Spec):
    items: str = Field(min_length=1, description="Path to the list; each item becomes a message.")
    as_: str = Field(alias="as", min_length=1, description="The type of each item's message.")


class AggregateSpec(_Spec):
    key: str = Field(
        "correlationid", min_length=1, description="CEL; messages with equal keys are combined."
    )
    as_: str = Field(alias="as", min_length=1, description="The type of the combined message.")
    size: int | None = Field(None, ge=1, description="Complete after this many parts.")
    timeout: Duration | None = Field(None, description="Complete this long after the first part.")
    complete_when: str | None = Field(
        None, min_length=1, description="CEL over `parts` (list of data) and `count`."
    )

    @model_validator(mode="after")
    def _some_completion(self) -> AggregateSpec:
        if self.size is None and self.timeout is None and self.complete_when is None:
            raise ValueError("give at least one completion: size, timeout or complete_when")
        return self


class EnrichSpec(_Spec):
    operation: str = Field(min_length=1)
    request: dict[str, FieldMapping] | None = Field(
        None, description="The request's fields; default the message's data as it is."
    )
    into: str | None = Field(
        None, description="Field that receives the reply; default: merged into the data."
    )
    timeout: Duration = 30.0


class WiretapSpec(_Spec):
    channel: str = Field(min_length=1)


class ThrottleSpec(_Spec):
    rate: float | None = Field(None, gt=0, description="Messages per second at most, per key.")
    burst: int = Field(1, ge=1, description="Messages allowed at once before the rate applies.")
    concurrency: int | None = Field(None, ge=1, description="In-flight messages at most, per key.")
    key: str | None = Field(None, min_length=1, description="CEL; default one limit for all.")

    @model_validator(mode="after")
    def _some_limit(self) -> ThrottleSpec:
        if self.rate is None and self.concurrency is None:
            raise ValueError("give rate, concurrency or both")
        return self


class DelaySpec(_Spec):
    seconds: Duration = Field(gt=0)


class RecipientsSpec(_Spec):
    """Static targets, and/or a CEL expression giving a list of channel names."""

    to: list[Target] = Field(default_factory=list)
    expr: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _some_recipient(self) -> RecipientsSpec:
        if not self.to and self.expr is None:
            raise ValueError("give the recipients in to, in expr, or both")
        return self


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def kind(self) -> str:
        field = next(iter(type(self).model_fields.values()))
        return field.alias or next(iter(type(self).model_fields))

    @property
    def spec(self) -> Any:
        return getattr(self, next(iter(type(self).model_fields)))


class Validate(_Step):
    # `validate` would shadow pydantic's own classmethod; the file still says `validate:`.
    validate_: ValidateSpec = Field(alias="validate")


class Translate(_Step):
    translate: TranslateSpec


class Filter(_Step):
    filter: FilterSpec


class Choice(_Step):
    choice: ChoiceSpec


class Split(_Step):
    split: SplitSpec


class Aggregate(_Step):
    aggregate: AggregateSpec


class Enrich(_Step):
    enrich: EnrichSpec


class Wiretap(_Step):
    wiretap: WiretapSpec


class Throttle(_Step):
    throttle: ThrottleSpec


class Delay(_Step):
    delay: DelaySpec


class CallSpec(_Spec):
    """Request-reply: the data is the request; the operation's reply becomes the message."""

    operation: str = Field(min_length=1)
    timeout: Duration = 30.0


class Call(_Step):
    call: CallSpec


class To(_Step):
    to: Target


class Recipients(_Step):
    recipients: RecipientsSpec


STEP_KINDS: dict[str, type[_Step]] = {
    "validate": Validate,
    "translate": Translate,
    "filter": Filter,
    "choice": Choice,
    "split": Split,
    "aggregate": Aggregate,
    "enrich": Enrich,
    "wiretap": Wiretap,
    "throttle": Throttle,
    "delay": Delay,
    "call": Call,
    "to": To,
    "recipients": Recipients,
}


def _step_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        keys = list(value)
        return keys[0] if len(keys) == 1 and keys[0] in STEP_KINDS else None
    return value.kind if isinstance(value, _Step) else None


Step = Annotated[
    Annotated[Validate, Tag("validate")]
    | Annotated[Translate, Tag("translate")]
    | Annotated[Filter, Tag("filter")]
    | Annotated[Choice, Tag("choice")]
    | Annotated[Split, Tag("split")]
    | Annotated[Aggregate, Tag("aggregate")]
    | Annotated[Enrich, Tag("enrich")]
    | Annotated[Wiretap, Tag("wiretap")]
    | Annotated[Throttle, Tag("throttle")]
    | Annotated[Delay, Tag("delay")]
    | Annotated[Call, Tag("call")]
    | Annotated[To, Tag("to")]
    | Annotated[Recipients, Tag("recipients")],
    Discriminator(
        _step_kind,
        custom_error_type="unknown_step",
        custom_error_message=(
            "a step is a mapping with one key, the step kind: " + ", ".join(STEP_KINDS)
        ),
    ),
]


# -- the route ---------------------------------------------------------------------------------


class From(_Spec):
    """A channel (routing-key pattern: `*` one word, `#` any words), or an adapter's source."""

    channel: str | None = Field(None, min_length=1)
    source: str | None = Field(
        None, pattern=r"^[a-z0-9-]+\.[a-z0-9-]+$", description="`adapter.source`."
    )
    type: str | None = Field(None, description="The type arriving, when the channel is not one.")

    @model_validator(mode="after")
    def _one_origin(self) -> From:
        if (self.channel is None) == (self.source is None):
            raise ValueError("give exactly one of channel or source")
        return self


class ErrorPolicy(_Spec):
    """How a failing message is retried before it is dead-lettered; unset fields use the bus's
    `retry` settings."""

    max_attempts: int | None = Field(None, ge=1, description="Attempts in the worker.")
    backoff: list[Duration] | None = Field(
        None, description="Broker-delayed redeliveries after those attempts, in seconds."
    )
    retry_on: list[str] | None = Field(
        None,
        description="Operation error codes to retry (unavailable, timeout, circuit_open...); "
        "default: those the operation marks retryable.",
    )
    dead_letter: str | None = Field(
        None, pattern=_NAME, description="Dead-letter queue suffix; default the route's own."
    )


class Route(_Spec):
    """One flow: messages from one origin through steps."""

    route: str = Field(pattern=_NAME, description="The route's name.")
    description: str = ""
    from_: From = Field(alias="from")
    steps: list[Step] = Field(min_length=1)
    errors: ErrorPolicy = Field(default_factory=ErrorPolicy)
    lookups: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Tables for `lookup` field mappings."
    )

    @property
    def name(self) -> str:
        return self.route


class RouteFile(_Spec):
    """A route file: one or more routes."""

    routes: list[Route] = Field(min_length=1)


When.model_rebuild()
ChoiceSpec.model_rebuild()
