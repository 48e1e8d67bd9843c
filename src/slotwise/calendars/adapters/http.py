"""HTTP for adapters: the guarded outbound client with the calendar's timeout and size cap, and its errors
as AdapterError (they name the host, never the URL, which for a private feed is itself a secret)."""

from __future__ import annotations

from django.conf import settings

from slotwise.core import outbound

from .base import AdapterError


def timeout() -> float:
    return float(getattr(settings, "SLOTWISE_CALENDAR_HTTP_TIMEOUT", 20))


def max_bytes() -> int:
    return int(getattr(settings, "SLOTWISE_CALENDAR_MAX_BYTES", 20 * 1024 * 1024))


def request(method: str, url: str, *, purpose: str = "Calendar", **kw) -> tuple[outbound.OutboundResponse, bytes]:
    """Send through slotwise.core.outbound. Redirects are followed there, keeping the method and body
    (a redirected PROPFIND stays a PROPFIND: /.well-known/caldav is a redirect on most servers), and each
    hop is checked against the address policy."""
    try:
        resp = outbound.request(method, url, purpose=purpose, timeout=timeout(), max_bytes=max_bytes(), **kw)
    except (outbound.OutboundRefused, outbound.OutboundError) as exc:
        raise AdapterError(exc.message) from None
    return resp, resp.content
