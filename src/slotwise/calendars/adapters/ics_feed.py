"""A read-only ICS feed URL, fetched with conditional GETs (If-None-Match / If-Modified-Since)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .base import AdapterError
from .http import request


@dataclass(frozen=True)
class Fetched:
    changed: bool
    text: str = ""
    etag: str = ""
    last_modified: str = ""
    digest: str = ""  # SHA-256 of the body: servers without ETag or Last-Modified send the same bytes again


def fetch(url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
    if url.startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    headers = {"Accept": "text/calendar, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    resp, body = request("GET", url, purpose="Calendar feed", headers=headers)
    if resp.status_code == 304:
        return Fetched(changed=False, etag=etag, last_modified=last_modified)
    if resp.status_code != 200:
        raise AdapterError(f"GET {url}: HTTP {resp.status_code}", status=resp.status_code)
    text = body.decode("utf-8", errors="replace")
    if "BEGIN:VCALENDAR" not in text[:4096].upper():
        # A login page or an error page served with 200 must not wipe the host's busy time.
        raise AdapterError(f"GET {url}: the answer is not an iCalendar feed (no BEGIN:VCALENDAR)")
    return Fetched(
        changed=True,
        text=text,
        digest=hashlib.sha256(body).hexdigest(),
        etag=resp.headers.get("ETag", ""),
        last_modified=resp.headers.get("Last-Modified", ""),
    )
