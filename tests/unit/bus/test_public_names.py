"""The public surface of `bus` is what its `__all__` says, and every name in it exists."""

from __future__ import annotations

import bus


def test_every_exported_name_exists() -> None:
    assert [name for name in bus.__all__ if not hasattr(bus, name)] == []


def test_the_gateway_client_surface_is_exported() -> None:
    assert {
        "AccessDenied",
        "AsyncGatewayClient",
        "AuthenticationFailed",
        "BusError",
        "GatewayClient",
        "GatewayError",
        "GatewayEvent",
        "LegacySystemError",
        "RateLimited",
        "RequestRejected",
        "RetryPolicy",
        "UnknownResource",
        "WEBHOOK_SIGNATURE_HEADER",
        "sign_webhook",
        "verify_webhook",
    } <= set(bus.__all__)
