"""What went wrong in one SOAP call, as the SDK's errors, so the Guard knows what to retry.

A SOAP Client/Sender fault is about the request and never retryable; a Server/Receiver
fault is the legacy system's trouble and may pass. A fault is a fault whatever the HTTP
status. Transport failures and timeouts are not faults: they say whether the request may
have reached the legacy system (`sent`).
"""

from __future__ import annotations

from typing import Any

import requests
from lxml import etree
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from zeep import exceptions as zeep_errors

from adapters import AdapterError, InvalidRequest, LegacyFault, LegacyTimeout, LegacyUnavailable

_RETRYABLE_CODES = {"server": True, "receiver": True, "client": False, "sender": False}


def fault_code_class(code: str | None) -> str:
    """`soap11env:Client.PersonNotFound` -> `client`; `{ns}Receiver` -> `receiver`."""
    local = (code or "").rsplit("}", 1)[-1].rsplit(":", 1)[-1]
    return local.split(".", 1)[0].lower()


def from_fault(fault: zeep_errors.Fault, where: str) -> LegacyFault:
    code = str(fault.code or "")
    codes = [code, *(str(sub) for sub in (fault.subcodes or []))]
    kind = fault_code_class(code)
    # Unknown classes (VersionMismatch, MustUnderstand) are about how we called: not retried.
    retryable = _RETRYABLE_CODES.get(kind, False)
    action = (
        "it may pass when retried later"
        if retryable
        else "fix the request; retrying it unchanged will fail the same way"
    )
    return LegacyFault(
        f"{where} answered with SOAP fault {code or '(no code)'}: {fault.message}; {action}",
        fault_code=code or "unknown",
        retryable=retryable,
        detail={
            "fault_string": fault.message,
            "fault_codes": codes,
            "fault_actor": fault.actor,
            "fault_detail": _detail_text(fault.detail),
        },
    )


def _detail_text(detail: Any) -> str | None:
    if detail is None:
        return None
    if isinstance(detail, etree._Element):
        text: str = etree.tostring(detail, encoding="unicode")
        return text
    return str(detail)


def classify(exc: Exception, where: str) -> AdapterError:  # noqa: PLR0911, PLR0912  # one return per error kind reads best
    """The SDK error for anything a zeep call raised; `where` names the endpoint."""
    if isinstance(exc, AdapterError):
        return exc
    if isinstance(exc, zeep_errors.Fault) and exc.code is None:
        # zeep's answer to a non-200 reply that parses as XML but holds no SOAP Fault (an
        # HTML error page from a proxy): no fault was raised by the legacy system.
        return LegacyUnavailable(
            f"{where} answered with an HTTP error and no SOAP fault; the legacy system or a "
            "proxy in front of it is failing. Retry later or ask its operators",
            detail={"body": _excerpt(exc.detail)},
        )
    if isinstance(exc, zeep_errors.Fault):
        return from_fault(exc, where)
    if isinstance(exc, requests.ConnectTimeout):
        return LegacyUnavailable(
            f"{where} did not accept a connection in time ({exc}); the request was not sent. "
            "Check that the legacy system is up, or raise `connect_timeout`",
            sent=False,
        )
    if isinstance(exc, requests.Timeout):
        return LegacyTimeout(
            f"{where} did not answer within the timeout; it may still have acted on the "
            "request. Raise `timeout` only if the legacy system is known to be this slow"
        )
    if isinstance(exc, requests.ConnectionError):
        reason = _root(exc)
        never_sent = isinstance(reason, NewConnectionError | ConnectTimeoutError)
        return LegacyUnavailable(
            f"{where} could not be reached ({reason}); check that it is up and that "
            "`endpoint` is right",
            sent=not never_sent,
        )
    if isinstance(exc, zeep_errors.TransportError) and "invalid XML" in exc.message:
        return LegacyUnavailable(
            f"{where} answered HTTP {exc.status_code} with a body that is not well-formed "
            "XML; the legacy system may have acted. Report it to its operators",
            detail={"status_code": exc.status_code, "body": _excerpt(exc.content)},
        )
    if isinstance(exc, zeep_errors.TransportError):
        return LegacyUnavailable(
            f"{where} answered HTTP {exc.status_code} without a SOAP fault; the legacy "
            "system or a proxy in front of it is failing. Retry later or ask its operators",
            detail={"status_code": exc.status_code, "body": _excerpt(exc.content)},
        )
    if isinstance(exc, zeep_errors.DTDForbidden | zeep_errors.EntitiesForbidden):
        return LegacyUnavailable(
            f"{where} answered with a DTD or XML entities ({exc}); the reply was refused "
            "unread because entities can leak local files (XXE). Report it to the operators "
            "of the legacy system"
        )
    if isinstance(
        exc,
        zeep_errors.XMLSyntaxError | zeep_errors.XMLParseError | zeep_errors.UnexpectedElementError,
    ):
        return LegacyUnavailable(
            f"{where} answered with a reply that is not a valid SOAP message ({exc}); the "
            "legacy system may have acted. Report it to its operators",
            detail={"body": _excerpt(getattr(exc, "content", None))},
        )
    if isinstance(exc, zeep_errors.ValidationError | TypeError):
        return InvalidRequest(
            f"the request does not fit the WSDL: {exc}; nothing was sent. Fix the request "
            "fields to match the operation's schema"
        )
    if isinstance(exc, ValueError) and "XML compatible" in str(exc):
        # lxml refuses control characters and NUL while building the request: not sendable.
        return InvalidRequest(
            f"the request holds characters XML cannot carry ({exc}); nothing was sent. "
            "Remove control characters from the request fields"
        )
    if isinstance(exc, zeep_errors.Error | requests.RequestException):
        return LegacyUnavailable(f"{where} call failed: {type(exc).__name__}: {exc}")
    raise exc


def _root(exc: BaseException) -> BaseException:
    reason: BaseException = exc
    while True:
        nested = getattr(reason, "reason", None) or (reason.args[0] if reason.args else None)
        if not isinstance(nested, BaseException) or nested is reason:
            return reason
        reason = nested


def _excerpt(content: Any, limit: int = 500) -> str | None:
    if content is None:
        return None
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
    return text[:limit]
