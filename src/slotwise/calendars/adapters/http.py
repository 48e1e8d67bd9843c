"""HTTP for adapters: timeouts and a size cap on every response, errors without credentials."""

from __future__ import annotations

from urllib.parse import urljoin

import requests
from django.conf import settings

from .base import AdapterError


def timeout() -> float:
    return float(getattr(settings, "SLOTWISE_CALENDAR_HTTP_TIMEOUT", 20))


def max_bytes() -> int:
    return int(getattr(settings, "SLOTWISE_CALENDAR_MAX_BYTES", 20 * 1024 * 1024))


def request(session: requests.Session, method: str, url: str, **kw) -> tuple[requests.Response, bytes]:
    """Send, read at most max_bytes() of the body, and turn network failures into AdapterError.

    Redirects are followed here, keeping the method and body: requests turns a redirected PROPFIND into a
    body-less one (or a GET on 302), and /.well-known/caldav is a redirect on most servers."""
    for _ in range(5):
        resp, body = _once(session, method, url, **kw)
        location = resp.headers.get("Location")
        if resp.status_code not in (301, 302, 303, 307, 308) or not location:
            return resp, body
        url = urljoin(url, location)
        if resp.status_code == 303:
            method, kw = "GET", {k: v for k, v in kw.items() if k not in ("data", "json")}
    raise AdapterError(f"{method} {url}: too many redirects")


def _once(session: requests.Session, method: str, url: str, **kw) -> tuple[requests.Response, bytes]:
    limit = max_bytes()
    try:
        resp = session.request(method, url, timeout=timeout(), stream=True, allow_redirects=False, **kw)
        chunks, size = [], 0
        for chunk in resp.iter_content(65536):
            size += len(chunk)
            if size > limit:
                resp.close()
                raise AdapterError(f"{method} {url}: the response is larger than {limit // (1024 * 1024)} MB")
            chunks.append(chunk)
        return resp, b"".join(chunks)
    except requests.RequestException as exc:
        raise AdapterError(f"{method} {url}: {exc.__class__.__name__}: could not reach the server") from None
