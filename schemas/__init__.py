"""Canonical messages: the CloudEvents envelope, the schema registry, personal-data masking."""

from schemas._domain import Address, AddressChanged, Person, default_registry
from schemas._envelope import CLOUDEVENTS_JSON, Envelope
from schemas._errors import FieldProblem, IncompatibleSchema, InvalidMessage, UnknownSchema
from schemas._operation import OPERATION_ERROR_CODES, OPERATION_ERROR_TYPE, OperationError
from schemas._personal import MASKED, Personal, mask, personal_fields
from schemas._registry import TYPE_NAME_PATTERN, RegisteredSchema, SchemaRegistry, dataschema_uri
from schemas._trace import child_traceparent, new_traceparent, trace_id

__all__ = [
    "CLOUDEVENTS_JSON",
    "MASKED",
    "OPERATION_ERROR_CODES",
    "OPERATION_ERROR_TYPE",
    "TYPE_NAME_PATTERN",
    "Address",
    "AddressChanged",
    "Envelope",
    "FieldProblem",
    "IncompatibleSchema",
    "InvalidMessage",
    "OperationError",
    "Person",
    "Personal",
    "RegisteredSchema",
    "SchemaRegistry",
    "UnknownSchema",
    "child_traceparent",
    "dataschema_uri",
    "default_registry",
    "mask",
    "new_traceparent",
    "personal_fields",
    "trace_id",
]
