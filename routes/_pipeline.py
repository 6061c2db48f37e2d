"""A route compiled for running: its steps as runners, nested branches as pipelines."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from routes._flow import (
    AggregateStep,
    DelayStep,
    RecipientsStep,
    ThrottleStep,
    ToStep,
    WiretapStep,
)
from routes._model import Route, Step
from routes._steps import (
    CallStep,
    ChoiceStep,
    EnrichStep,
    FilterStep,
    SplitStep,
    StepRunner,
    TranslateStep,
    ValidateStep,
)

if TYPE_CHECKING:
    from routes._message import Message, Runtime


class Pipeline:
    """Steps in order; what comes out of one goes into the next."""

    def __init__(self, runners: list[StepRunner]) -> None:
        self.runners = runners

    def run(self, messages: list[Message], runtime: Runtime, *, start: int = 0) -> list[Message]:
        """Run from top-level step `start`; the messages that came out of the last step."""
        for runner in self.runners[start:]:
            passed: list[Message] = []
            for message in messages:
                began = time.perf_counter()
                out = runner.run(message, runtime)
                elapsed = (time.perf_counter() - began) * 1000
                runtime.hop(message, runner.label, duration_ms=elapsed, outputs=len(out))
                passed.extend(out)
            messages = passed
            if not messages:
                break
        return messages

    def walk(self) -> list[StepRunner]:
        """Every runner, nested ones included."""
        found: list[StepRunner] = []
        for runner in self.runners:
            found.append(runner)
            if isinstance(runner, ChoiceStep):
                for branch in [*runner.branches, runner.otherwise]:
                    found += branch.walk() if branch is not None else []
        return found


class CompiledRoute:
    """A route ready to run: expressions compiled, functions imported, lookups resolved.
    Compiling is where a route with a bad expression or mapping is refused, before it runs."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self.name = route.name
        self.pipeline = Pipeline(_compile(route.steps, route.lookups, prefix="", top=True))

    def run(self, message: Message, runtime: Runtime, *, start: int = 0) -> list[Message]:
        return self.pipeline.run([message], runtime, start=start)

    def aggregators(self) -> list[AggregateStep]:
        return [r for r in self.pipeline.walk() if isinstance(r, AggregateStep)]

    def after(self, label: str) -> int:
        """The index of the top-level step after `label`: where an aggregate completed by its
        timeout goes on (aggregates and delays are top-level steps)."""
        for index, runner in enumerate(self.pipeline.runners):
            if runner.label == label:
                return index + 1
        raise KeyError(f"route {self.name} has no top-level step {label}")


def _compile(
    steps: list[Step], lookups: dict[str, dict[str, Any]], *, prefix: str, top: bool
) -> list[StepRunner]:
    runners: list[StepRunner] = []
    for index, step in enumerate(steps):
        label = f"{prefix}{index}:{step.kind}"
        runners.append(_runner(step, label, index, lookups, prefix=f"{prefix}{index}.", top=top))
    return runners


# Steps built from their spec alone, and those that also need the route's lookup tables.
_SIMPLE: dict[str, Callable[[str, Any], StepRunner]] = {
    "validate": ValidateStep,
    "filter": FilterStep,
    "split": SplitStep,
    "wiretap": WiretapStep,
    "throttle": ThrottleStep,
    "call": CallStep,
    "to": ToStep,
    "recipients": RecipientsStep,
}
_WITH_LOOKUPS: dict[str, Callable[[str, Any, dict[str, dict[str, Any]]], StepRunner]] = {
    "translate": TranslateStep,
    "enrich": EnrichStep,
}
# Their continuation is a top-level step index, so they cannot sit inside a branch.
_TOP_LEVEL_ONLY = {"aggregate", "delay"}


def _runner(
    step: Step,
    label: str,
    index: int,
    lookups: dict[str, dict[str, Any]],
    *,
    prefix: str,
    top: bool,
) -> StepRunner:
    spec, kind = step.spec, step.kind
    if kind in _TOP_LEVEL_ONLY and not top:
        raise ValueError(f"{label}: {kind} must be a top-level step, not inside a choice")
    if kind in _SIMPLE:
        return _SIMPLE[kind](label, spec)
    if kind in _WITH_LOOKUPS:
        return _WITH_LOOKUPS[kind](label, spec, lookups)
    if kind == "aggregate":
        return AggregateStep(label, spec)
    if kind == "delay":
        return DelayStep(label, spec, index)
    if kind == "choice":
        branches = [
            Pipeline(_compile(when.steps, lookups, prefix=f"{prefix}when{n}.", top=False))
            for n, when in enumerate(spec.when)
        ]
        otherwise = spec.otherwise and Pipeline(
            _compile(spec.otherwise, lookups, prefix=f"{prefix}else.", top=False)
        )
        return ChoiceStep(label, spec, branches, otherwise or None)
    raise ValueError(f"{label}: unknown step kind {kind!r}")
