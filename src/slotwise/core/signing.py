"""Webhook signatures the way Calendly signs them, for both directions: the webhooks we send
(webhooks/services.py) and the Calendly webhooks we receive (imports/views.py). One implementation, so
the two always agree: a Slotwise server can play Calendly for another.

Header `Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(signing_key, "<t>.<body>")>`."""

import hashlib
import hmac
from datetime import datetime

HEADER = "Calendly-Webhook-Signature"
TOLERANCE = 180  # seconds a signature's timestamp may be off: Calendly's guidance is 3 minutes


def signature(signing_key: str, body: str, t: int) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256(signing_key, "<t>.<body>")>`, as Calendly signs."""
    mac = hmac.new(signing_key.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(signing_key: str, body: str, header: str, *, now: datetime, tolerance: int = TOLERANCE) -> bool:
    """What a receiver does: recompute the MAC, compare in constant time, refuse stale timestamps."""
    parts = dict(p.strip().split("=", 1) for p in (header or "").split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - t) > tolerance:
        return False
    expected = signature(signing_key, body, t).split("v1=")[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
