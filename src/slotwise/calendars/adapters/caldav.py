"""CalDAV (RFC 4791) with sync-collection (RFC 6578), spoken directly over HTTP.

Discovery: /.well-known/caldav or the given URL -> current-user-principal -> calendar-home-set ->
the calendars in it (Depth 1). Busy time: sync-collection lists what changed since our token (ETags), then
calendar-multiget fetches the changed objects; a server without sync-collection gets a calendar-query
time-range REPORT instead (a full listing each time). Writes: PUT with If-None-Match: * to create,
PUT to the same href to move, DELETE to remove. Attendees carry SCHEDULE-AGENT=CLIENT (RFC 6638) so the
server does not mail invitations of its own: Slotwise sends those.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urljoin, urlsplit
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as SafeET
import icalendar
from defusedxml import DefusedXmlException

from .base import AdapterError, CalendarInfo, Changes, Resource, SyncTokenInvalid, Written
from .http import request

NS = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:caldav", "cs": "http://calendarserver.org/ns/"}
MULTIGET_BATCH = 100


def _xml(body: bytes, where: str) -> ET.Element:
    try:
        return SafeET.fromstring(body)
    except ET.ParseError:
        raise AdapterError(f"{where}: the server's answer is not XML") from None
    except DefusedXmlException:
        raise AdapterError(f"{where}: the server's answer uses XML entities or a DTD, which are refused") from None


class CalDAV:
    def __init__(self, url: str, username: str = "", password: str = ""):
        self.url = url if url.endswith("/") else url + "/"
        self.auth = (username, password) if username else None

    def _send(self, method: str, url: str, *, body: str | None = None, depth: str | None = None, headers=None):
        h = dict(headers or {})
        if body is not None and "Content-Type" not in h:
            h["Content-Type"] = "application/xml; charset=utf-8"
        if depth is not None:
            h["Depth"] = depth
        resp, data = request(
            method, url, purpose="CalDAV", data=body.encode() if body else None, headers=h, auth=self.auth
        )
        if resp.status_code in (401, 403) and method != "REPORT":
            raise AdapterError(
                f"{method} {url}: HTTP {resp.status_code}: check the user name and password", status=resp.status_code
            )
        return resp, data

    def _abs(self, href: str, base: str | None = None) -> str:
        # Relative to the URL that answered (discovery may have been redirected to another host or path).
        return urljoin(base or self.url, href)

    def _path(self, url: str) -> str:
        return urlsplit(url).path

    def _propfind_one(self, url: str, prop: str) -> list[str]:
        body = f'<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop>{prop}</d:prop></d:propfind>'
        resp, data = self._send("PROPFIND", url, body=body, depth="0")
        if resp.status_code != 207:
            return []
        return [
            urljoin(resp.url, h.text.strip())
            for h in _xml(data, "PROPFIND").iterfind(".//d:propstat/d:prop//d:href", NS)
            if h.text
        ]

    # discovery ---------------------------------------------------------------------------------------------
    def home(self) -> str:
        root = urljoin(self.url, "/")
        principal = []
        for candidate in (self.url, urljoin(root, ".well-known/caldav")):
            principal = self._propfind_one(candidate, "<d:current-user-principal/>")
            if principal:
                break
        if not principal:
            return self.url  # a server without discovery: the URL given is the home or a calendar
        homes = self._propfind_one(principal[0], "<c:calendar-home-set/>")
        return homes[0] if homes else principal[0]

    def list_calendars(self) -> list[CalendarInfo]:
        home = self.home()
        body = (
            '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            "<d:prop><d:resourcetype/><d:displayname/><c:supported-calendar-component-set/>"
            "<d:current-user-privilege-set/></d:prop></d:propfind>"
        )
        resp, data = self._send("PROPFIND", home, body=body, depth="1")
        if resp.status_code != 207:
            raise AdapterError(f"PROPFIND {home}: HTTP {resp.status_code}", status=resp.status_code)
        out = []
        for r in _xml(data, "PROPFIND").iterfind("d:response", NS):
            href = r.findtext("d:href", default="", namespaces=NS).strip()
            prop = r.find("d:propstat/d:prop", NS)
            if prop is None or prop.find("d:resourcetype/c:calendar", NS) is None:
                continue
            comps = [c.get("name") for c in prop.iterfind("c:supported-calendar-component-set/c:comp", NS)]
            if comps and "VEVENT" not in comps:
                continue
            privs = {p.tag.split("}")[-1] for p in prop.iterfind("d:current-user-privilege-set/d:privilege/*", NS)}
            read_only = bool(privs) and not ({"write", "write-content", "all"} & privs)
            name = prop.findtext("d:displayname", default="", namespaces=NS) or href.rstrip("/").rsplit("/", 1)[-1]
            out.append(CalendarInfo(remote_id=self._abs(href, resp.url), name=name, read_only=read_only))
        return out

    # reading -----------------------------------------------------------------------------------------------
    def changes(self, calendar_id: str, token: str, *, window: tuple[datetime, datetime] | None = None) -> Changes:
        body = (
            '<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:">'
            f"<d:sync-token>{token or ''}</d:sync-token><d:sync-level>1</d:sync-level>"
            "<d:prop><d:getetag/></d:prop></d:sync-collection>"
        )
        resp, data = self._send("REPORT", calendar_id, body=body, depth="1")
        if resp.status_code in (403, 409) and token and b"valid-sync-token" in data:
            raise SyncTokenInvalid(f"REPORT {calendar_id}: the server no longer knows our sync token")
        if resp.status_code != 207:
            if resp.status_code in (401,):
                raise AdapterError(f"REPORT {calendar_id}: HTTP 401: check the user name and password", status=401)
            return self._time_range(calendar_id, window)
        root = _xml(data, "sync-collection")
        changed, deleted = [], []
        for r in root.iterfind("d:response", NS):
            href = self._path(self._abs(r.findtext("d:href", default="", namespaces=NS).strip(), calendar_id))
            if href.rstrip("/") == self._path(calendar_id).rstrip("/"):
                continue
            status = r.findtext("d:status", default="", namespaces=NS)
            if " 404" in status:
                deleted.append(href)
                continue
            etag = r.findtext("d:propstat/d:prop/d:getetag", default="", namespaces=NS)
            changed.append((href, etag))
        new_token = root.findtext("d:sync-token", default="", namespaces=NS)
        return Changes(token=new_token, full=not token, upserts=self._multiget(calendar_id, changed), deletes=deleted)

    def _multiget(self, calendar_id: str, items: list[tuple[str, str]]) -> list[Resource]:
        out = []
        for i in range(0, len(items), MULTIGET_BATCH):
            batch = items[i : i + MULTIGET_BATCH]
            hrefs = "".join(f"<d:href>{h}</d:href>" for h, _ in batch)
            body = (
                '<?xml version="1.0"?><c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
                f"<d:prop><d:getetag/><c:calendar-data/></d:prop>{hrefs}</c:calendar-multiget>"
            )
            resp, data = self._send("REPORT", calendar_id, body=body, depth="1")
            if resp.status_code != 207:
                raise AdapterError(
                    f"REPORT calendar-multiget {calendar_id}: HTTP {resp.status_code}", status=resp.status_code
                )
            out += self._resources(data)
        return out

    def _resources(self, data: bytes) -> list[Resource]:
        out = []
        for r in _xml(data, "REPORT").iterfind("d:response", NS):
            href = self._path(self._abs(r.findtext("d:href", default="", namespaces=NS).strip()))
            prop = r.find("d:propstat/d:prop", NS)
            text = prop.findtext("c:calendar-data", default="", namespaces=NS) if prop is not None else ""
            if text:
                etag = prop.findtext("d:getetag", default="", namespaces=NS)
                out.append(Resource(href=href, etag=etag, data=text))
        return out

    def _time_range(self, calendar_id: str, window) -> Changes:
        rng = ""
        if window:
            a, b = (w.strftime("%Y%m%dT%H%M%SZ") for w in window)
            rng = f'<c:time-range start="{a}" end="{b}"/>'
        body = (
            '<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            '<d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR">'
            f'<c:comp-filter name="VEVENT">{rng}</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>'
        )
        resp, data = self._send("REPORT", calendar_id, body=body, depth="1")
        if resp.status_code != 207:
            raise AdapterError(f"REPORT calendar-query {calendar_id}: HTTP {resp.status_code}", status=resp.status_code)
        return Changes(token="", full=True, upserts=self._resources(data))

    def free_busy(self, calendar_id: str, window: tuple[datetime, datetime]) -> list[tuple[datetime, datetime]]:
        """Busy periods from a free-busy-query REPORT: for calendars shared with us as free/busy only
        (the server refuses their events but tells when they are busy)."""
        a, b = (w.strftime("%Y%m%dT%H%M%SZ") for w in window)
        body = (
            '<?xml version="1.0"?><c:free-busy-query xmlns:c="urn:ietf:params:xml:ns:caldav">'
            f'<c:time-range start="{a}" end="{b}"/></c:free-busy-query>'
        )
        resp, data = self._send("REPORT", calendar_id, body=body, depth="1")
        if resp.status_code != 200:
            raise AdapterError(
                f"REPORT free-busy-query {calendar_id}: HTTP {resp.status_code}", status=resp.status_code
            )
        try:
            cal = icalendar.Calendar.from_ical(data)
        except ValueError:
            raise AdapterError(f"REPORT free-busy-query {calendar_id}: the answer is not iCalendar") from None
        out = []
        for fb in cal.walk("VFREEBUSY"):
            props = fb.get("FREEBUSY") or []
            for prop in props if isinstance(props, list) else [props]:
                if str(prop.params.get("FBTYPE", "BUSY")).upper() == "FREE":
                    continue
                for start, end in prop.dt if isinstance(prop.dt, list) else [prop.dt]:
                    end = start + end if isinstance(end, timedelta) else end
                    out.append((start.astimezone(UTC), end.astimezone(UTC)))
        return sorted(out)

    # writing -----------------------------------------------------------------------------------------------
    def default_href(self, calendar_id: str, uid: str) -> str:
        """Where we create the object for `uid`: known before the PUT, so a retry or a delete that races the
        create names the same resource."""
        return self._path(
            urljoin(calendar_id if calendar_id.endswith("/") else calendar_id + "/", quote(uid, safe="") + ".ics")
        )

    def put_event(self, calendar_id: str, *, uid: str, ics: str, href: str = "", attendees=()) -> Written:
        create = not href
        url = self._abs(href or self.default_href(calendar_id, uid), calendar_id)
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if create:
            headers["If-None-Match"] = "*"
        resp, _ = self._send("PUT", url, body=ics, headers=headers)
        if resp.status_code == 412 and create:
            # A retry of a create whose answer was lost: the event is there; overwrite it.
            resp, _ = self._send("PUT", url, body=ics, headers={"Content-Type": "text/calendar; charset=utf-8"})
        if resp.status_code not in (200, 201, 204):
            raise AdapterError(f"PUT {url}: HTTP {resp.status_code}", status=resp.status_code)
        return Written(href=self._path(url), etag=resp.headers.get("ETag", ""))

    def delete_event(self, calendar_id: str, *, href: str) -> None:
        if not href:
            raise ValueError("delete_event needs the event's href")  # never DELETE the collection itself
        url = self._abs(href, calendar_id)
        resp, _ = self._send("DELETE", url)
        if resp.status_code not in (200, 204, 404, 410):
            raise AdapterError(f"DELETE {url}: HTTP {resp.status_code}", status=resp.status_code)
