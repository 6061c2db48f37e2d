"""SOAP faults and transport failures become the SDK's errors, told apart."""

from __future__ import annotations

import pytest
import requests
from zeep import exceptions as zeep_errors

from adapters import InvalidRequest, LegacyFault, LegacyTimeout, LegacyUnavailable
from adapters.soap._faults import classify, fault_code_class


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        ("soap11env:Client.PersonNotFound", False),
        ("soap:Server", True),
        ("{http://www.w3.org/2003/05/soap-envelope}Sender", False),
        ("env:Receiver", True),
        ("soap:VersionMismatch", False),
    ],
)
def test_fault_retryability_follows_its_code(code: str, retryable: bool) -> None:
    error = classify(zeep_errors.Fault("boom", code=code), "register")

    assert isinstance(error, LegacyFault)

    assert error.retryable is retryable


def test_fault_code_class_strips_prefix_and_subcode() -> None:
    assert fault_code_class("soap11env:Client.PersonNotFound") == "client"


def test_read_timeout_is_a_timeout_not_a_fault() -> None:
    assert isinstance(classify(requests.ReadTimeout("slow"), "register"), LegacyTimeout)


def test_connect_timeout_was_never_sent() -> None:
    error = classify(requests.ConnectTimeout("no"), "register")

    assert isinstance(error, LegacyUnavailable)

    assert error.sent is False


def test_http_error_page_without_fault_is_unavailable() -> None:
    error = classify(zeep_errors.Fault("Unknown fault occured", code=None), "register")

    assert isinstance(error, LegacyUnavailable)

    assert not isinstance(error, LegacyFault)


def test_refused_dtd_in_a_reply_is_unavailable() -> None:
    error = classify(zeep_errors.DTDForbidden("<!DOCTYPE r>", None, None), "register")

    assert isinstance(error, LegacyUnavailable)


def test_values_zeep_refuses_are_an_invalid_request() -> None:
    assert isinstance(classify(zeep_errors.ValidationError("bad"), "register"), InvalidRequest)


def test_characters_xml_cannot_carry_are_an_invalid_request() -> None:
    refused = ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes")

    assert isinstance(classify(refused, "register"), InvalidRequest)


def test_unexpected_errors_are_not_hidden() -> None:
    with pytest.raises(KeyError):
        classify(KeyError("bug"), "register")
