"""The steps that look at or change one message: validate, translate, filter, choice, split,
enrich and call. Each is compiled once from its spec; `run` takes one message and returns the
messages that go on (none when it is filtered out, several when it is split)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from routes._expr import Expression, ExpressionError
from routes._mapping import apply_mapping, compile_mapping, import_function
from routes._model import (
    CallSpec,
    ChoiceSpec,
    EnrichSpec,
    FilterSpec,
    SplitSpec,
    TranslateSpec,
    ValidateSpec,
)
from routes._paths import Path

if TYPE_CHECKING:
    from routes._message import Message, Runtime
    from routes._pipeline import Pipeline


class StepRunner:
    """One compiled step. `label` names it in the journal: `3:translate`, `2.when0.1:to`."""

    kind = "step"

    def __init__(self, label: str) -> None:
        self.label = label

    def run(self, message: Message, runtime: Runtime) -> list[Message]:
        raise NotImplementedError


class ValidateStep(StepRunner):
    kind = "validate"

    def __init__(self, label: str, spec: ValidateSpec) -> None:
        super().__init__(label)
        self.schema = spec.schema_
        self.version = spec.version

    def run(self, message: Message, runtime: Runtime) -> list[Message]:
        # From here on the message is a valid `schema`, whatever it was called before.
        data = runtime.validate(self.schema, message.data, self.version)
        return [message.but(type=self.schema, data=data)]


class TranslateStep(StepRunner):
    kind = "translate"

    def __init__(self, label: str, spec: TranslateSpec, lookups: dict[str, dict[str, Any]]):
        super().__init__(label)
        self.to = spec.to
        self.keep = spec.keep
        self.getters = compile_mapping(spec.fields, lookups) if spec.fields is not None else None
        self.function = import_function(spec.function) if spec.function is not None else None

    def run(self, message: Message, runtime: Runtime) -> list[Message]:
        if self.function is not None:
            data = self.function(dict(message.data))
            if not isinstance(data, dict):
                raise TypeError(
                    f"translate function returned {type(data).__name__}, not a dict of fields"
                )
        else:
            assert self.getters is not None
            data = dict(message.data) if self.keep else {}
            data.update(apply_mapping(self.getters, message.context()))
        return [message.but(type=self.to or message.type, data=data)]


class FilterStep(StepRunner):
    kind = "filter"

    def __init__(self, label: str, spec: FilterSpec) -> None:
        super().__init__(label)
        self.when = Expression(spec.when)

    def run(self, message: Message, runtime: Runtime) -> list[Message]:
        return [message] if self.when.test(message.context()) else []


class ChoiceStep(StepRunner):
    kind = "choice"

    def __init__(
        self,
        label: str,
        spec: ChoiceSpec,
        branches: list[Pipeline],
        otherwise: Pipeline | None,
    ) -> None:
        super().__init__(label)
        self.tests = [Expression(branch.test) for branch in spec.when]
        self.branches = branches
        self.otherwise = otherwise

    def run(self, message: Message, runtime: Runtime) -> list[Message]:
        context = message.context()
        for test, branch in zip(self.tests, self.branches, strict=True):
            if test.test(context):
                return branch.run([message], runtime)
        return self.otherwise.run([message], runtime) if self.otherwise is not None else []


class SplitStep(StepRunner):
    kind = "split"

    def __init__(self, label: str, spec: SplitSpec) -> None:
        super().__init__(label)
        self.items = Path(spec.items)
        self.item_type = spec.as_

    def run(self, message: Message, runtime: Runtime) -> list[Message]:
        items = self.items.get(message.context())
        if items is None:
            return []
        if not isinstance(items, list):
            raise ExpressionError(
                f"split: {self.items.source} is {type(items).__name__}, not a list"
            )
        size = len(items)
        return [
            message.but(
                type=self.item_type,
                data=item if isinstance(item, dict) else {"value": item},
                path=f"{message.path}.{index}",
                extensions={**message.extensions, "splitindex": index, "splitsize": size},
            )
            for index, item in enumerate(items)
        ]


class EnrichStep(StepRunner):
    kind = "enrich"

    def __init__(self, label: str, spec: EnrichSpec, lookups: dict[str, dict[str, Any]]):
        super().__init__(label)
        self.operation = spec.operation
        self.timeout = spec.timeout
        self.into = spec.into
        self.request = compile_mapping(spec.request, lookups) if spec.request else None

    def run(self, message: Message, runtime: Runtime) -> list[Message]:
        request = apply_mapping(self.request, message.context()) if self.request else message.data
        reply = runtime.call(self.operation, request, timeout=self.timeout)
        data = dict(message.data)
        if self.into is None:
            data.update(reply)
        else:
            data[self.into] = reply
        return [message.but(data=data)]


class CallStep(StepRunner):
    """Request-reply: the data is the request, the reply becomes the message."""

    kind = "call"

    def __init__(self, label: str, spec: CallSpec) -> None:
        super().__init__(label)
        self.operation = spec.operation
        self.timeout = spec.timeout

    def run(self, message: Message, runtime: Runtime) -> list[Message]:
        reply = runtime.call(self.operation, message.data, timeout=self.timeout)
        return [message.but(type=f"{self.operation}.response", data=reply)]
