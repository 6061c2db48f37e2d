"""The envelope every message travels in: a CloudEvents 1.0 event in structured JSON mode."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from schemas._errors import FieldProblem, InvalidMessage, problems_from_validation_error

CLOUDEVENTS_JSON = "application/cloudevents+json"

# Attributes defined by CloudEvents 1.0 itself or by civicbus; anything else is an extension.
_KNOWN_ATTRIBUTES = frozenset(
    {
        "specversion",
        "id",
        "source",
        "type",
        "subject",
        "time",
        "datacontenttype",
        "dataschema",
        "data",
        "correlationid",
        "causationid",
        "traceparent",
    }
)
# A structured-mode reader must see these; the Python constructor may default the first two.
_REQUIRED_ON_THE_WIRE = ("specversion", "id", "source", "type")
# CloudEvents 1.0 naming: lower-case ASCII letters and digits, at most 20 characters.
_EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")
# W3C trace context, version 00: trace id, parent id and flags in lower-case hex.
_TRACEPARENT = re.compile(r"^00-(?P<trace>[0-9a-f]{32})-(?P<parent>[0-9a-f]{16})-[0-9a-f]{2}$")
# Canonical payloads are shallow; anything deeper is a mistake or an attack on the parser.
MAX_DEPTH = 64
# A URI-reference never contains whitespace or control characters (RFC 3986).
_URI_REFERENCE = re.compile(r"^[^\s\x00-\x1f\x7f]+$")


def _new_id() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(UTC)


def _format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _extension_problems(attributes: Mapping[str, Any]) -> list[FieldProblem]:
    problems = []
    for name, value in attributes.items():
        if name in _KNOWN_ATTRIBUTES or name == "data_base64":
            continue
        if not _EXTENSION_NAME.match(name):
            problems.append(
                FieldProblem(
                    name,
                    "not a valid CloudEvents extension name; use 1-20 lower-case letters "
                    "or digits (a-z, 0-9)",
                )
            )
        elif value is not None and not isinstance(value, str | int | bool):
            problems.append(
                FieldProblem(
                    name,
                    f"extension values must be a string, integer or boolean, "
                    f"not {type(value).__name__}; put structured values in data",
                )
            )
    return problems


def _data_base64_problems(attributes: Mapping[str, Any]) -> list[FieldProblem]:
    if "data_base64" not in attributes:
        return []
    if attributes.get("data") is not None:
        return [FieldProblem("data_base64", "set both data and data_base64; send only one")]
    try:
        base64.b64decode(attributes["data_base64"], validate=True)
    except (binascii.Error, TypeError, ValueError):
        return [FieldProblem("data_base64", "not valid base64; encode binary data per RFC 4648")]
    return []


def _is_json_value(value: Any) -> bool:
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            return False
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is dict:
            for key, child in item.items():
                if type(key) is not str:
                    return False
                pending.append((child, depth + 1))
        elif kind is list:
            pending.extend((child, depth + 1) for child in item)
        elif kind is float:
            if not math.isfinite(item):
                return False
        else:
            return False  # subclasses and other types: the full walk decides and explains
    return True


def _json_value_problem(value: Any, location: str) -> str | None:
    """Why ``value`` is not a JSON value, or None when it is one.

    Walks with its own stack and a depth limit: a hostile, deeply nested body must be refused,
    not crash the consumer with a RecursionError.
    """
    # Every message passes here, and nearly all are fine: a walk that names no locations
    # first, and the one that names them only for a value already known to be bad.
    if _is_json_value(value):
        return None
    pending: list[tuple[str, Any, int]] = [(location, value, 0)]
    while pending:
        where, item, depth = pending.pop()
        if depth > MAX_DEPTH:
            return f"{location} is nested deeper than {MAX_DEPTH} levels; flatten it"
        if isinstance(item, float) and not math.isfinite(item):
            return f"{where} is {item}, which JSON cannot carry"
        if isinstance(item, list):
            pending += [(f"{where}[{i}]", child, depth + 1) for i, child in enumerate(item)]
        elif isinstance(item, dict):
            if bad := [key for key in item if not isinstance(key, str)]:
                return f"{where} has the non-string key {bad[0]!r}"
            pending += [(f"{where}.{key}", child, depth + 1) for key, child in item.items()]
        elif not (item is None or isinstance(item, str | int | float)):
            kind = type(item).__name__
            return (
                f"{where} is a {kind}, not a JSON value; give dicts, lists, strings, numbers, "
                "booleans or None (dump a model with model_dump(mode='json'))"
            )
    return None


class Envelope(BaseModel):
    """A CloudEvents 1.0 event carrying one canonical message.

    ``data`` is a JSON value (dict, list, str, number, bool or None), or ``bytes`` for binary
    data, which travels as ``data_base64``. Unknown extension attributes are kept (see
    ``model_extra``); ``correlationid`` defaults to the event's own ``id``. Build one with the
    constructor or ``SchemaRegistry.envelope``; read one from the wire with ``from_json``.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=_new_id, min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    subject: str | None = Field(default=None, min_length=1)
    time: datetime = Field(default_factory=_now)
    datacontenttype: str = Field(default="application/json", min_length=1)
    dataschema: str | None = Field(default=None, min_length=1)
    data: Any = None
    # The default is never used: the model validator below sets it to the id when absent.
    correlationid: str = Field(default="", min_length=1)
    causationid: str | None = Field(default=None, min_length=1)
    traceparent: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _fill_in(cls, values: Any) -> Any:
        if not isinstance(values, Mapping):
            return values
        problems = _extension_problems(values) + _data_base64_problems(values)
        if problems:
            raise ValueError("; ".join(str(problem) for problem in problems))
        attributes = {key: value for key, value in values.items() if value is not None}
        if "data_base64" in attributes:
            attributes["data"] = base64.b64decode(attributes.pop("data_base64"))
        if isinstance(attributes.get("data"), bytes | bytearray):
            # Bytes are not JSON; without a declared type they are just an octet stream.
            attributes.setdefault("datacontenttype", "application/octet-stream")
        attributes.setdefault("id", _new_id())
        attributes.setdefault("correlationid", attributes["id"])
        return attributes

    @field_validator("source", "dataschema")
    @classmethod
    def _uri_reference(cls, value: str | None) -> str | None:
        if value is not None and not _URI_REFERENCE.match(value):
            raise ValueError(
                "must be a URI-reference without spaces, e.g. /adapters/population-register"
            )
        return value

    @field_validator("time", mode="before")
    @classmethod
    def _rfc3339_only(cls, value: Any) -> Any:
        # pydantic would also take Unix seconds; CloudEvents JSON times are RFC 3339 strings.
        if not isinstance(value, str | datetime):
            raise ValueError("must be an RFC 3339 timestamp such as 2024-05-01T12:00:00Z")
        return value

    @field_validator("time")
    @classmethod
    def _aware_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                "has no time zone; give an offset or Z, e.g. 2024-05-01T12:00:00Z "
                "(a naive time is ambiguous)"
            )
        return value.astimezone(UTC)

    @field_validator("traceparent")
    @classmethod
    def _w3c_traceparent(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _TRACEPARENT.match(value)
        if not match or set(match["trace"]) == {"0"} or set(match["parent"]) == {"0"}:
            raise ValueError(
                "must be a W3C traceparent 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>"
                " in lower case, with non-zero ids; pass the incoming header on unchanged"
            )
        return value

    @field_validator("data")
    @classmethod
    def _json_or_binary(cls, value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            return bytes(value)
        if problem := _json_value_problem(value, "data"):
            raise ValueError(problem)
        return value

    def to_dict(self) -> dict[str, Any]:
        """The structured-mode JSON object: None attributes omitted, ``time`` in RFC 3339 UTC."""
        attributes: dict[str, Any] = {
            "specversion": self.specversion,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": _format_time(self.time),
            "datacontenttype": self.datacontenttype,
            "dataschema": self.dataschema,
            "correlationid": self.correlationid,
            "causationid": self.causationid,
            "traceparent": self.traceparent,
            **(self.model_extra or {}),
        }
        if isinstance(self.data, bytes):
            attributes["data_base64"] = base64.b64encode(self.data).decode("ascii")
        else:
            attributes["data"] = self.data
        return {key: value for key, value in attributes.items() if value is not None}

    def to_json(self) -> bytes:
        """UTF-8 JSON for the wire, content type ``application/cloudevents+json``."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, attributes: Mapping[str, Any]) -> Self:
        """Read a structured-mode JSON object; InvalidMessage names every bad attribute."""
        if not isinstance(attributes, Mapping):
            kind = type(attributes).__name__
            raise InvalidMessage([FieldProblem("body", f"expected a JSON object, got {kind}")])
        problems = [
            FieldProblem(name, "Field required")
            for name in _REQUIRED_ON_THE_WIRE
            if name not in attributes
        ]
        if "specversion" in attributes and attributes["specversion"] != "1.0":
            version = attributes["specversion"]
            problems.append(FieldProblem("specversion", f"is {version!r}; only '1.0' is read"))
        problems += _extension_problems(attributes) + _data_base64_problems(attributes)
        # Validate what is left, so one error reports every problem, not just the first kind.
        offending = {problem.location for problem in problems}
        clean = {key: value for key, value in attributes.items() if key not in offending}
        try:
            envelope = cls.model_validate(clean)
        except ValidationError as error:
            problems += problems_from_validation_error(error)
        if problems:
            # A required attribute that is absent is reported by us and by pydantic: once is enough.
            raise InvalidMessage(dict.fromkeys(problems))
        return envelope

    @classmethod
    def from_json(cls, raw: bytes | str, *, max_bytes: int | None = None) -> Self:
        """Read an envelope off the wire.

        Raises InvalidMessage when the body is over ``max_bytes`` (checked before anything is
        parsed), not UTF-8, not JSON, not an object, or when any attribute is missing or invalid.
        """
        # A str is at least as many bytes as characters: refuse a huge one before encoding it.
        if max_bytes is not None and len(raw) > max_bytes:
            raise InvalidMessage([_oversized(len(raw), max_bytes)])
        try:
            body = raw.encode("utf-8") if isinstance(raw, str) else raw
            if max_bytes is not None and len(body) > max_bytes:
                raise InvalidMessage([_oversized(len(body), max_bytes)])
            text = body.decode("utf-8")
        except UnicodeError as error:
            where = getattr(error, "start", 0)
            raise InvalidMessage(
                [
                    FieldProblem(
                        "body",
                        f"not UTF-8 (at byte {where}); CloudEvents JSON must be encoded as UTF-8",
                    )
                ]
            ) from None
        try:
            parsed = json.loads(text, parse_constant=_refuse_constant)
        except (json.JSONDecodeError, ValueError) as error:
            raise InvalidMessage([FieldProblem("body", f"not JSON: {error}")]) from None
        except RecursionError:
            raise InvalidMessage(
                [FieldProblem("body", f"nested too deeply to parse; keep it under {MAX_DEPTH}")]
            ) from None
        return cls.from_dict(parsed)

    def caused(
        self,
        *,
        type: str,
        source: str,
        data: Any = None,
        subject: str | None = None,
        dataschema: str | None = None,
    ) -> Envelope:
        """A new event this one caused: same correlation id and trace, ``causationid = self.id``."""
        return Envelope(
            type=type,
            source=source,
            data=data,
            subject=subject,
            dataschema=dataschema,
            correlationid=self.correlationid,
            causationid=self.id,
            traceparent=self.traceparent,
        )


def _oversized(size: int, limit: int) -> FieldProblem:
    return FieldProblem(
        "body",
        f"is {size} bytes, over the {limit}-byte limit; send large content by reference "
        "(a URL in data) or raise the limit",
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
