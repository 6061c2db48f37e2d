"""The errors of the canonical model: one for every invalid message, one for a breaking schema."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

# pydantic prefixes messages raised by our own validators; the prefix tells a reader nothing.
_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")

# pydantic's own wording for these says what is wrong but not what to do about it.
_BETTER_MESSAGES = {
    "extra_forbidden": "unknown field; remove it, or register a schema version that declares it",
}


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with a message: where (dotted, e.g. ``data.address.postal_code``) and what.

    ``body`` is the location of problems with the raw bytes as a whole (size, encoding, JSON).
    """

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class InvalidMessage(ValueError):
    """An envelope or its payload is invalid; ``problems`` names every offending field.

    The one error type for anything wrong with a message, so a consumer can dead-letter on it
    and an HTTP gateway can answer 400/422 with the list.
    """

    problems: list[FieldProblem]

    def __init__(self, problems: Iterable[FieldProblem]) -> None:
        self.problems = list(problems)
        super().__init__(self._describe())

    def _describe(self) -> str:
        listed = "; ".join(str(problem) for problem in self.problems)
        return f"invalid message: {listed or 'no details'}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions are pickled by their args by default; ours are built from problems.
        return (self.__class__, (self.problems,))

    @classmethod
    def from_validation_error(cls, error: ValidationError, *, prefix: str = "") -> InvalidMessage:
        """Translate a pydantic error, prefixing every location (``prefix="data"`` for payloads)."""
        return cls(problems_from_validation_error(error, prefix=prefix))


class UnknownSchema(InvalidMessage):
    """The message's type, or the version it names, is not registered.

    ``type`` and ``version`` say what was asked for; ``known`` lists what the registry holds
    (types, or versions of the type), so the message can say what would have worked.
    """

    def __init__(
        self,
        problems: Iterable[FieldProblem],
        *,
        type: str | None = None,
        version: int | None = None,
        known: Sequence[str] = (),
    ) -> None:
        self.type = type
        self.version = version
        self.known = list(known)
        super().__init__(problems)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_unknown_schema, (self.problems, self.type, self.version, self.known))


def _rebuild_unknown_schema(
    problems: list[FieldProblem], type: str | None, version: int | None, known: list[str]
) -> UnknownSchema:
    return UnknownSchema(problems, type=type, version=version, known=known)


class IncompatibleSchema(ValueError):
    """A new version of a schema would break readers of the previous one; nothing was registered.

    ``problems`` holds one line per break, each starting with the dotted field path.
    """

    problems: list[str]

    def __init__(self, problems: Iterable[str], *, type: str, version: int) -> None:
        self.problems = list(problems)
        self.type = type
        self.version = version
        breaks = "; ".join(self.problems)
        super().__init__(
            f"{type} v{version} is incompatible with v{version - 1}: {breaks}. "
            "Data written as the previous version must stay readable: make a new field optional "
            "with a default, keep removed or retyped fields (deprecate them instead), "
            "or register the change under a new type name."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_incompatible, (self.problems, self.type, self.version))


def _rebuild_incompatible(problems: list[str], type: str, version: int) -> IncompatibleSchema:
    return IncompatibleSchema(problems, type=type, version=version)


def dotted(location: Sequence[str | int], *, prefix: str = "") -> str:
    """``("address", "lines", 0)`` -> ``address.lines[0]``, optionally under ``prefix``."""
    text = prefix
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = f"{text}.{part}" if text else part
    return text


def problems_from_validation_error(
    error: ValidationError, *, prefix: str = ""
) -> list[FieldProblem]:
    """One FieldProblem per pydantic error, located by dotted path under ``prefix``."""
    problems = []
    for detail in error.errors(include_url=False):
        message = _BETTER_MESSAGES.get(detail["type"], detail["msg"])
        for noise in _PYDANTIC_PREFIXES:
            message = message.removeprefix(noise)
        location = dotted(detail["loc"], prefix=prefix) or prefix or "message"
        problems.append(FieldProblem(location, message))
    return problems
