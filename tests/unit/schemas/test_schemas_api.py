"""The public surface of the canonical model is pinned: changing it is a deliberate act."""

from __future__ import annotations

import schemas


def test_the_exported_names_are_exactly_these() -> None:
    assert sorted(schemas.__all__) == [
        "Address",
        "AddressChanged",
        "CLOUDEVENTS_JSON",
        "Envelope",
        "FieldProblem",
        "IncompatibleSchema",
        "InvalidMessage",
        "MASKED",
        "OPERATION_ERROR_CODES",
        "OPERATION_ERROR_TYPE",
        "OperationError",
        "Person",
        "Personal",
        "RegisteredSchema",
        "SchemaRegistry",
        "TYPE_NAME_PATTERN",
        "UnknownSchema",
        "child_traceparent",
        "dataschema_uri",
        "default_registry",
        "mask",
        "new_traceparent",
        "personal_fields",
        "trace_id",
    ]


def test_every_exported_name_exists() -> None:
    assert all(hasattr(schemas, name) for name in schemas.__all__)


def test_the_constants_have_their_documented_values() -> None:
    assert (schemas.CLOUDEVENTS_JSON, schemas.MASKED) == ("application/cloudevents+json", "***")
