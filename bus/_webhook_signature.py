"""The signature on every webhook delivery, and its check for receivers.

Header `Civicbus-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>` with the
subscription's secret. The timestamp is signed too, so a receiver refuses replays older than
its tolerance.
"""

from __future__ import annotations

import hashlib
import hmac
import time

WEBHOOK_SIGNATURE_HEADER = "Civicbus-Signature"


def sign_webhook(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The `Civicbus-Signature` header value for `body`."""
    moment = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def verify_webhook(
    secret: str, body: bytes, header: str, *, tolerance: float = 300.0, now: float | None = None
) -> bool:
    """Whether `header` signs `body` with `secret` and is at most `tolerance` seconds old."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    stamp, given = fields.get("t", ""), fields.get("v1", "")
    if not stamp.isdigit() or not given:
        return False
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        return False
    expected = sign_webhook(secret, body, timestamp=int(stamp)).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)
