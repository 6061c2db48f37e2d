"""Every shared fixture WSDL loads offline and lists its operations; bad ones say why."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters import AdapterConfigError
from adapters.soap import SoapAdapter, SoapConfig

ENDPOINT = "http://127.0.0.1:9/unused"  # never called: these tests only load WSDLs


def started(wsdl: Path, **config: object) -> SoapAdapter:
    adapter = SoapAdapter("legacy", SoapConfig(wsdl=str(wsdl), **config))  # type: ignore[arg-type]
    adapter.start()
    return adapter


def fields(adapter: SoapAdapter) -> dict[str, tuple[list[str], list[str]]]:
    return {
        op.name: (list(op.request.model_fields), list(op.response.model_fields))
        for op in adapter.operations()
    }


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("soap.wsdl", {"get-last-trade-price", "get-last-trade-price-no-output"}),
        ("soap_header.wsdl", {"get-last-trade-price"}),
        ("claim.wsdl", {"get-claim-details"}),
        ("calculator.wsdl", {"add"}),
        ("xroad-testservice1-soap12.wsdl", {"test-op1", "test-op-a"}),
        (
            "zeep-hello-world-recursive/hello_world_recursive.wsdl",
            {
                "say-hi",
                "greet-me",
                "greet-me-sometime",
                "greet-me-one-way",
                "test-doc-lit-fault",
                "test-doc-lit-bare",
            },
        ),
    ],
)
def test_fixture_wsdl_loads_offline_and_lists_operations(
    shared_fixtures: Path, path: str, expected: set[str]
) -> None:
    adapter = started(shared_fixtures / "wsdl" / path)

    assert {op.name for op in adapter.operations()} == expected


def test_document_literal_operation_has_request_and_response_fields(
    shared_fixtures: Path,
) -> None:
    adapter = started(shared_fixtures / "wsdl" / "soap.wsdl")

    assert fields(adapter)["get-last-trade-price"] == (
        ["tickerSymbol", "account", "country"],
        ["price"],
    )


def test_one_way_operation_has_an_empty_response(shared_fixtures: Path) -> None:
    adapter = started(shared_fixtures / "wsdl" / "soap.wsdl")

    assert fields(adapter)["get-last-trade-price-no-output"][1] == []


def test_rpc_encoded_operation_lists_its_part(shared_fixtures: Path) -> None:
    adapter = started(shared_fixtures / "wsdl" / "claim.wsdl")

    assert fields(adapter)["get-claim-details"] == (["ClaimID"], [])


def test_soap_headers_become_a_soap_header_field(shared_fixtures: Path) -> None:
    adapter = started(shared_fixtures / "wsdl" / "soap_header.wsdl")
    request = adapter.operations()[0].request
    header = request.model_fields["soap_header"].annotation

    assert list(header.__args__[0].model_fields) == ["header", "token"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("version", "port"), [("1.1", "CalculatorSoap"), ("1.2", "CalculatorSoap12")]
)
def test_soap_version_selects_the_calculator_port(
    shared_fixtures: Path, version: str, port: str
) -> None:
    adapter = started(shared_fixtures / "wsdl" / "calculator.wsdl", soap_version=version)

    assert adapter.port is not None

    assert adapter.port.port == port


def test_port_can_be_chosen_by_name(shared_fixtures: Path) -> None:
    adapter = started(shared_fixtures / "wsdl" / "calculator.wsdl", port="CalculatorSoap12")

    assert adapter.port is not None

    assert adapter.port.soap_version == "1.2"


def test_unknown_port_names_the_ones_there_are(shared_fixtures: Path) -> None:
    with pytest.raises(AdapterConfigError, match=r"CalculatorSoap12 \(SOAP 1.2\)"):
        started(shared_fixtures / "wsdl" / "calculator.wsdl", port="Nope")


def test_xroad_wsdl_loads_with_the_missing_swaref_answered_locally(
    shared_fixtures: Path, tmp_path: Path
) -> None:
    stub = tmp_path / "swaref.xsd"
    stub.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'targetNamespace="http://ws-i.org/profiles/basic/1.1/xsd"/>'
    )
    adapter = started(
        shared_fixtures / "wsdl" / "xroad-testservice" / "testservice.wsdl",
        schema_overrides={"xsd/swaref.xsd": stub},
    )
    header = adapter.operations()[0].request.model_fields["soap_header"].annotation

    assert set(header.__args__[0].model_fields) >= {"client", "service", "id", "userId"}  # type: ignore[union-attr]


def test_xroad_wsdl_without_the_override_names_the_missing_schema(
    shared_fixtures: Path,
) -> None:
    with pytest.raises(AdapterConfigError, match=r"xsd/swaref.xsd, and no file is there"):
        started(shared_fixtures / "wsdl" / "xroad-testservice" / "testservice.wsdl")


def test_placeholder_address_asks_for_an_endpoint(shared_fixtures: Path, tmp_path: Path) -> None:
    # The fixture's header message names an element its reduced schema lacks (xrd:issue);
    # a copy without that part isolates the placeholder address.
    source = (shared_fixtures / "wsdl" / "messages" / "test-service.wsdl").read_text()
    wsdl = tmp_path / "test-service.wsdl"
    wsdl.write_text("\n".join(line for line in source.splitlines() if '"issue"' not in line))

    with pytest.raises(AdapterConfigError, match=r"set adapters.legacy.endpoint"):
        started(wsdl)


def test_endpoint_override_makes_the_placeholder_wsdl_usable(
    shared_fixtures: Path, tmp_path: Path
) -> None:
    source = (shared_fixtures / "wsdl" / "messages" / "test-service.wsdl").read_text()
    wsdl = tmp_path / "test-service.wsdl"
    wsdl.write_text("\n".join(line for line in source.splitlines() if '"issue"' not in line))

    adapter = started(wsdl, endpoint=ENDPOINT)

    assert fields(adapter)["test-service"][1] == ["data", "processingTime"]


def test_undefined_header_element_is_named_in_the_error(shared_fixtures: Path) -> None:
    with pytest.raises(AdapterConfigError, match=r"invalid part \('issue'\)"):
        started(shared_fixtures / "wsdl" / "messages" / "test-service.wsdl", endpoint=ENDPOINT)


def test_xxe_wsdl_is_refused_without_reading_the_entity(
    shared_fixtures: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The entity points at file:src/test/resources/wsdl/invalid.wsdl, relative to the
    # working folder: put a canary there, and check it never shows up.
    target = tmp_path / "src" / "test" / "resources" / "wsdl" / "invalid.wsdl"
    target.parent.mkdir(parents=True)
    target.write_text("CANARY-SECRET")
    monkeypatch.chdir(tmp_path)

    with pytest.raises(AdapterConfigError, match=r"XXE") as raised:
        started(shared_fixtures / "wsdl" / "negative" / "xxe.wsdl")

    assert "CANARY-SECRET" not in str(raised.value)


def test_wsdl_importing_an_http_schema_names_it_and_says_how_to_vendor(tmp_path: Path) -> None:
    wsdl = tmp_path / "remote.wsdl"
    wsdl.write_text(
        '<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t"><types>'
        '<xs:schema targetNamespace="urn:t"><xs:import namespace="urn:remote" '
        'schemaLocation="http://schemas.example.invalid/remote.xsd"/></xs:schema>'
        "</types></definitions>"
    )

    with pytest.raises(
        AdapterConfigError,
        match=r"imports http://schemas.example.invalid/remote.xsd, which needs the network.*"
        "Vendor it",
    ):
        started(wsdl)


def test_missing_wsdl_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AdapterConfigError, match=r"no file at .*absent.wsdl"):
        started(tmp_path / "absent.wsdl")


def test_override_for_an_unknown_operation_suggests_the_right_one(shared_fixtures: Path) -> None:
    with pytest.raises(AdapterConfigError, match=r"did you mean 'get-last-trade-price'"):
        started(
            shared_fixtures / "wsdl" / "soap.wsdl",
            operations={"get-last-trade-prise": {"idempotent": False}},
        )
