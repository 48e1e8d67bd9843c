"""HTTP for adapters: timeouts and a size cap on every response, errors without credentials."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

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


def allow_private() -> bool:
    default = not getattr(settings, "PRODUCTION", False)
    return bool(getattr(settings, "SLOTWISE_CALENDAR_ALLOW_PRIVATE_URLS", default))


def check_public(url: str) -> None:
    """In production a host's feed URL must not reach the server's own network (Redis, PostgreSQL, cloud
    metadata): refuse loopback, private, link-local and reserved addresses. Checked on every redirect hop.
    SLOTWISE_CALENDAR_ALLOW_PRIVATE_URLS=1 allows them (a Nextcloud on the same LAN)."""
    if allow_private():
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        raise AdapterError(f"{url}: the host name {host!r} does not resolve") from None
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if (
            ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_reserved
            or ip.is_multicast
            or ip.is_unspecified
        ):
            raise AdapterError(f"{url}: {host} is an address inside this server's network; use a public address")


def _once(session: requests.Session, method: str, url: str, **kw) -> tuple[requests.Response, bytes]:
    check_public(url)
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
