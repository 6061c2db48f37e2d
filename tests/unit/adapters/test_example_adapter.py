"""The example kind translates its register's behaviour into civicbus errors."""

from __future__ import annotations

import time

import pytest

import adapters
import adapters.example as example_api
from adapters import CallContext, InvalidRequest, LegacyFault, LegacyUnavailable, Operation
from adapters.example import ExampleAdapter, ExampleConfig, GetRecord, PutRecord
from schemas import OPERATION_ERROR_CODES


def adapter(**config: object) -> ExampleAdapter:
    started = ExampleAdapter("records", ExampleConfig.model_validate({"kind": "example", **config}))
    started.start()
    return started


def operation(example: ExampleAdapter, name: str) -> Operation:
    return next(op for op in example.operations() if op.name == name)


def context(deadline: float | None = None) -> CallContext:
    return CallContext(request_id="r-1", correlation_id="c-1", deadline=deadline)


def test_a_put_record_is_read_back() -> None:
    example = adapter()
    operation(example, "put-record").invoke(PutRecord(key="k", value="v"), context())
    assert operation(example, "get-record").invoke(GetRecord(key="k"), context()).model_dump() == {
        "key": "k",
        "value": "v",
    }


def test_a_missing_record_is_a_fault_not_worth_retrying() -> None:
    example = adapter()
    with pytest.raises(LegacyFault) as fault:
        operation(example, "get-record").invoke(GetRecord(key="nobody"), context())
    assert (fault.value.fault_code, fault.value.retryable) == ("not_found", False)


def test_a_server_fault_may_be_retried() -> None:
    example = adapter(seed={"k": "v"})
    example.register.make_faulty()
    with pytest.raises(LegacyFault) as fault:
        operation(example, "get-record").invoke(GetRecord(key="k"), context())
    assert fault.value.retryable


def test_a_refused_connection_is_known_never_to_have_reached_the_register() -> None:
    example = adapter()
    example.register.make_unreachable()
    with pytest.raises(LegacyUnavailable) as unavailable:
        operation(example, "put-record").invoke(PutRecord(key="k", value="v"), context())
    assert unavailable.value.sent is False


def test_a_caller_deadline_already_passed_gives_up_before_the_register_answers() -> None:
    example = adapter(seed={"k": "v"}, latency=0.05)
    with pytest.raises(LegacyUnavailable, match="within the timeout"):
        operation(example, "get-record").invoke(GetRecord(key="k"), context(time.monotonic()))


def test_a_request_of_the_wrong_model_is_refused() -> None:
    example = adapter()
    with pytest.raises(InvalidRequest):
        operation(example, "get-record").invoke(PutRecord(key="k", value="v"), context())


def test_an_adapter_started_while_the_register_is_down_reports_it_in_health() -> None:
    example = ExampleAdapter("records", ExampleConfig(kind="example"))
    example.register.make_unreachable()
    example.start()
    assert example.health().ok is False


def test_the_example_kind_exports_exactly_its_public_names() -> None:
    assert sorted(example_api.__all__) == [
        "ExampleAdapter",
        "ExampleConfig",
        "GetRecord",
        "PutRecord",
        "Record",
        "Register",
        "RegisterFault",
    ]


def test_every_adapter_error_code_is_a_known_operation_error_code() -> None:
    errors = [getattr(adapters, name) for name in adapters.__all__]
    codes = {e.code for e in errors if isinstance(e, type) and issubclass(e, adapters.AdapterError)}

    assert codes <= OPERATION_ERROR_CODES
