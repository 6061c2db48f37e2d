"""Webhook signatures: a receiver accepts what the gateway signed, and nothing altered,
forged or replayed late."""

from __future__ import annotations

import pytest

from bus import sign_webhook, verify_webhook

BODY = b'{"id":"e-1","type":"civic.person.address-changed"}'


def test_a_signed_body_verifies() -> None:
    header = sign_webhook("s3cret", BODY, timestamp=1_000)

    assert verify_webhook("s3cret", BODY, header, now=1_010)


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [("other", BODY, 1_010), ("s3cret", BODY + b" ", 1_010), ("s3cret", BODY, 2_000)],
    ids=["wrong-secret", "altered-body", "replayed-late"],
)
def test_anything_else_fails(secret: str, body: bytes, now: float) -> None:
    header = sign_webhook("s3cret", BODY, timestamp=1_000)

    assert not verify_webhook(secret, body, header, now=now)


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", "v1=00", "t=1000"])
def test_a_malformed_header_fails(header: str) -> None:
    assert not verify_webhook("s3cret", BODY, header, now=1_000)
