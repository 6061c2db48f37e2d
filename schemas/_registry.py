"""The schema registry: payload models under type names and versions, read and upcast on arrival."""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from pydantic import BaseModel, ValidationError

from schemas._compat import breaking_changes
from schemas._envelope import Envelope
from schemas._errors import (
    FieldProblem,
    IncompatibleSchema,
    InvalidMessage,
    UnknownSchema,
    problems_from_validation_error,
)
from schemas._personal import mask as mask_payload

PayloadModel: TypeAlias = type[BaseModel]
Upcast: TypeAlias = Callable[[dict[str, Any]], dict[str, Any]]

# Type names become broker routing keys: dotted lower-case words, hyphens inside words only.
# A type name is also a broker routing key: dotted lower-case words, hyphens inside words.
TYPE_NAME_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:\.[a-z][a-z0-9]*(?:-[a-z0-9]+)*)*$"
_TYPE_NAME = re.compile(TYPE_NAME_PATTERN)
_DATASCHEMA = re.compile(r"^urn:civicbus:schema:(?P<type>[^:]+):(?P<version>[1-9][0-9]*)$")
_JSON_CONTENT = re.compile(r"^(application|text)/([A-Za-z0-9.\-]+\+)?json(;.*)?$")
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def dataschema_uri(type: str, version: int) -> str:
    """The URN civicbus puts in ``dataschema``: ``urn:civicbus:schema:<type>:<version>``."""
    return f"urn:civicbus:schema:{type}:{version}"


@dataclass(frozen=True)
class RegisteredSchema:
    """One version of one message type: its model, and how to lift data from the version before."""

    type: str
    version: int
    model: PayloadModel
    upcast: Upcast | None = None
    description: str | None = None

    @property
    def dataschema(self) -> str:
        return dataschema_uri(self.type, self.version)

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema (2020-12) with ``$id`` = ``dataschema``; personal fields marked."""
        schema = self.model.model_json_schema()
        description = self.description or schema.get("description")
        return {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": self.dataschema,
            **schema,
            "title": f"{self.type} v{self.version}",
            **({"description": description} if description else {}),
            "x-civicbus-type": self.type,
            "x-civicbus-version": self.version,
        }


class SchemaRegistry:
    """Every payload type the bus knows, by type name and version (1, 2, 3... in order).

    A new version must read everything the previous one wrote (see ``check``); old data is
    validated against its own version and then upcast, step by step, to the latest.
    """

    def __init__(self) -> None:
        self._schemas: dict[str, list[RegisteredSchema]] = {}
        self._by_model: dict[PayloadModel, list[RegisteredSchema]] = {}

    def register(
        self,
        model: PayloadModel,
        *,
        type: str,
        version: int,
        upcast: Upcast | None = None,
        description: str | None = None,
    ) -> RegisteredSchema:
        """Add ``model`` as ``type`` version ``version``.

        Raises ValueError when the name, the version order or a duplicate is wrong, and
        IncompatibleSchema when the model would break readers of the previous version.
        Registering the very same model again under the same version returns the existing entry.
        """
        existing = self._find(type, version)
        if existing is not None and existing.model is model and existing.upcast is upcast:
            return existing
        placement = self._placement_problems(model, type=type, version=version, upcast=upcast)
        if placement:
            raise ValueError(f"cannot register {type} v{version}: {'; '.join(placement)}")
        breaks = self._breaking_changes(model, type=type, version=version)
        if breaks:
            raise IncompatibleSchema(breaks, type=type, version=version)
        entry = RegisteredSchema(type, version, model, upcast, description)
        self._schemas.setdefault(type, []).append(entry)
        self._by_model.setdefault(model, []).append(entry)
        return entry

    def check(self, model: PayloadModel, *, type: str, version: int) -> list[str]:
        """The problems ``register`` would raise for this model, without registering it."""
        existing = self._find(type, version)
        if existing is not None and existing.model is model:
            return []
        placement = self._placement_problems(model, type=type, version=version, upcast=None)
        return placement or self._breaking_changes(model, type=type, version=version)

    def get(self, type: str, version: int | None = None) -> RegisteredSchema:
        """The schema of ``type`` at ``version`` (None: the latest); UnknownSchema if absent."""
        entries = self._schemas.get(type)
        if not entries:
            raise self._unknown_type(type)
        if version is None:
            return entries[-1]
        entry = self._find(type, version)
        if entry is None:
            known = [f"v{entry.version}" for entry in entries]
            raise UnknownSchema(
                [
                    FieldProblem(
                        "dataschema",
                        f"{type} has no version {version}; known versions: {', '.join(known)}."
                        " Register the version, or send data of a known one",
                    )
                ],
                type=type,
                version=version,
                known=known,
            )
        return entry

    def types(self) -> list[str]:
        return sorted(self._schemas)

    def versions(self, type: str) -> list[int]:
        """The registered versions of ``type``, oldest first; empty when it is unknown."""
        return [entry.version for entry in self._schemas.get(type, [])]

    def __contains__(self, type: object) -> bool:
        return type in self._schemas

    def envelope(
        self,
        payload: BaseModel,
        *,
        source: str,
        subject: str | None = None,
        correlationid: str | None = None,
        causationid: str | None = None,
        traceparent: str | None = None,
        id: str | None = None,
    ) -> Envelope:
        """Wrap ``payload`` in an envelope typed by the latest registration of its class."""
        entries = self._by_model.get(payload.__class__, [])
        if len({entry.type for entry in entries}) > 1:
            names = ", ".join(sorted({entry.type for entry in entries}))
            raise ValueError(
                f"{payload.__class__.__name__} is registered as several types ({names}); "
                "use build(type, data, ...) to say which one this message is"
            )
        if not entries:
            name = payload.__class__.__name__
            raise UnknownSchema(
                [
                    FieldProblem(
                        "data",
                        f"{name} is not a registered payload model; register it with "
                        f"registry.register({name}, type=..., version=...)",
                    )
                ],
                known=self.types(),
            )
        entry = max(entries, key=lambda entry: entry.version)
        return _new_envelope(
            type=entry.type,
            source=source,
            dataschema=entry.dataschema,
            data=payload.model_dump(mode="json"),
            subject=subject,
            correlationid=correlationid,
            causationid=causationid,
            traceparent=traceparent,
            id=id,
        )

    def build(
        self,
        type: str,
        data: dict[str, Any],
        *,
        source: str,
        version: int | None = None,
        **attrs: Any,
    ) -> Envelope:
        """An envelope for ``data`` of ``type``, validated first (InvalidMessage names ``data.*``).

        ``attrs`` are further envelope attributes: subject, correlationid, traceparent...
        """
        entry = self.get(type, version)
        payload = _validate(entry, data)
        return _new_envelope(
            type=type,
            source=source,
            dataschema=entry.dataschema,
            data=payload.model_dump(mode="json"),
            **attrs,
        )

    def read(self, envelope: Envelope) -> BaseModel:
        """The payload as the latest version's model: validated as sent, then upcast."""
        entry = self._entry_for(envelope)
        if not _JSON_CONTENT.match(envelope.datacontenttype):
            raise InvalidMessage(
                [
                    FieldProblem(
                        "datacontenttype",
                        f"is {envelope.datacontenttype!r}; {entry.type} data must be JSON "
                        "(application/json)",
                    )
                ]
            )
        payload = _validate(entry, envelope.data)
        for step in self._schemas[entry.type][entry.version :]:
            payload = _upcast(payload, step)
        return payload

    def validate_data(self, type: str, data: Any, version: int | None = None) -> BaseModel:
        """``data`` checked against ``type`` (latest or ``version``) without making an envelope;
        raises UnknownSchema or InvalidMessage naming ``data.*``."""
        return _validate(self.get(type, version), data)

    def validate(self, envelope: Envelope) -> None:
        """Raise InvalidMessage (or UnknownSchema) unless ``read`` would succeed."""
        self.read(envelope)

    def mask(self, envelope: Envelope, *, reveal: bool = False) -> dict[str, Any]:
        """``envelope.to_dict()`` with personal data masked per its schema.

        Data of an unknown type or version has every string masked. Only data is masked: keep
        personal data out of ``subject`` and the extensions.
        """
        shown = envelope.to_dict()
        if reveal:
            return shown
        try:
            model: PayloadModel | None = self._entry_for(envelope).model
        except InvalidMessage:
            model = None
        if "data" in shown:
            shown["data"] = mask_payload(shown["data"], model)
        if "data_base64" in shown:
            shown["data_base64"] = mask_payload(shown["data_base64"], None)
        return shown

    def export(self) -> dict[str, dict[str, Any]]:
        """Every registered JSON Schema, keyed ``<type>/v<version>``."""
        return {
            f"{entry.type}/v{entry.version}": entry.json_schema()
            for type in self.types()
            for entry in self._schemas[type]
        }

    def _find(self, type: str, version: int) -> RegisteredSchema | None:
        return next((e for e in self._schemas.get(type, []) if e.version == version), None)

    def _entry_for(self, envelope: Envelope) -> RegisteredSchema:
        if envelope.dataschema is None:
            return self.get(envelope.type)
        match = _DATASCHEMA.match(envelope.dataschema)
        if match is None or match["type"] != envelope.type:
            expected = dataschema_uri(envelope.type, 1).removesuffix("1") + "<version>"
            raise InvalidMessage(
                [
                    FieldProblem(
                        "dataschema",
                        f"is {envelope.dataschema!r}; expected {expected} or no dataschema "
                        "(meaning the latest version)",
                    )
                ]
            )
        return self.get(envelope.type, int(match["version"]))

    def _unknown_type(self, type: str) -> UnknownSchema:
        known = self.types()
        close = difflib.get_close_matches(type, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        listed = ", ".join(known) or "none"
        return UnknownSchema(
            [
                FieldProblem(
                    "type",
                    f"{type!r} is not a registered message type{hint}; known types: {listed}",
                )
            ],
            type=type,
            known=known,
        )

    def _placement_problems(
        self, model: Any, *, type: str, version: int, upcast: Upcast | None
    ) -> list[str]:
        problems = []
        if not (inspect.isclass(model) and issubclass(model, BaseModel)):
            problems.append(f"{model!r} is not a pydantic model class; pass the class itself")
        if not isinstance(type, str) or not _TYPE_NAME.match(type):
            problems.append(
                f"type {type!r} is not a valid name; use dotted lower-case words with hyphens, "
                "e.g. civic.person.address-changed (it becomes a broker routing key)"
            )
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            problems.append(f"version {version!r} is not a whole number from 1 up")
            return problems
        registered = self.versions(type) if isinstance(type, str) else []
        expected = len(registered) + 1
        if version in registered:
            problems.append(
                f"v{version} is already registered with a different model or upcast; "
                f"register the change as v{expected}"
            )
        elif version != expected:
            problems.append(f"versions are registered in order; register v{expected} next")
        if version == 1 and upcast is not None:
            problems.append("v1 has no earlier version to upcast from; drop the upcast")
        return problems

    def _breaking_changes(self, model: PayloadModel, *, type: str, version: int) -> list[str]:
        previous = self._find(type, version - 1)
        if previous is None:
            return []
        return breaking_changes(previous.model.model_json_schema(), model.model_json_schema())


def _new_envelope(**attributes: Any) -> Envelope:
    try:
        return Envelope.model_validate(attributes)
    except ValidationError as error:
        raise InvalidMessage.from_validation_error(error) from None


def _validate(entry: RegisteredSchema, data: Any) -> BaseModel:
    try:
        return entry.model.model_validate(data)
    except ValidationError as error:
        raise InvalidMessage.from_validation_error(error, prefix="data") from None


def _upcast(payload: BaseModel, step: RegisteredSchema) -> BaseModel:
    data = payload.model_dump(mode="json")
    if step.upcast is None:
        return _validate(step, data)
    where = f"upcast to {step.type} v{step.version}"
    try:
        lifted = step.upcast(data)
    except Exception as error:
        # A failing upcast is a bug, but this message is the evidence: dead-letter it, keep it.
        raise InvalidMessage(
            [FieldProblem("data", f"{where} failed with {error!r}; fix the upcast, then replay")]
        ) from error
    try:
        return step.model.model_validate(lifted)
    except ValidationError as error:
        problems = [
            FieldProblem(problem.location, f"{problem.message} (after {where}; fix the upcast)")
            for problem in problems_from_validation_error(error, prefix="data")
        ]
        raise InvalidMessage(problems) from None
