"""Microsoft 365 / Outlook calendars over Microsoft Graph v1.0, with OAuth 2.0 on the Microsoft identity
platform (authorization code with PKCE, rotating refresh tokens).

Base URLs and the tenant are settings (SLOTWISE_MICROSOFT_LOGIN_URL, _TENANT, _GRAPH_URL) so tests point
them at a local fake built from Microsoft's documented shapes (tests/calendars/graph_fake.py).

Busy time: /me/calendars/{id}/calendarView/delta over the sync window. Graph expands recurring series into
instances there, so every resource is one occurrence; @odata.nextLink pages are followed to the end of the
round and its @odata.deltaLink is the token of the next round (a 410 on it means "sync again in full").
`free_busy` (getSchedule) serves calendars whose events we may not read.

showAs, as Graph documents it (free, tentative, busy, oof, workingElsewhere, unknown): only "free" leaves the
host free. "tentative" blocks: a meeting the host may still attend is better refused than double-booked.
"workingElsewhere" blocks too: Outlook sets it for whole days of remote work as often as for a focused
afternoon, and the host chose to mark that time; "unknown" blocks (missing a meeting is worse than one
blocked hour, as everywhere in sync).

Times: we ask for UTC (Prefer: outlook.timezone="UTC"), and read whatever zone an event carries by its
Windows name through CLDR's windowsZones (Babel), never a table of our own. An unknown name is an error
that names it. All-day events are dates in the host's zone, as for every other calendar.

Write-back: POST with transactionId = the booking's one UID (calendar_object.identity), which Graph uses to
refuse a duplicate of a retried create; we read it back as the event's UID, so sync knows our own events.
A move is a PATCH; a cancel a DELETE.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from babel.core import get_global
from django.conf import settings

from slotwise.engine import wall_to_instants

from .base import AdapterError, CalendarInfo, Changes, Resource, SyncTokenInvalid, Written
from .http import request

SCOPE = "offline_access https://graph.microsoft.com/Calendars.ReadWrite"
BUSY_SHOW_AS = {"tentative", "busy", "oof", "workingelsewhere", "unknown"}  # compared lower-cased
SCHEDULE_SPAN = timedelta(days=41)  # getSchedule answers for less than 42 days at a time


class ReconnectNeeded(AdapterError):
    """Microsoft refused our refresh token (revoked, expired, password changed): the host must sign in again."""


class RetryLater(AdapterError):
    """Graph is throttling (429) or busy (503): try again after `retry_after` seconds; nothing was changed."""

    def __init__(self, message: str, *, status: int, retry_after: float):
        super().__init__(message, status=status)
        self.retry_after = retry_after


def _setting(name: str, default: str) -> str:
    return getattr(settings, name, "") or default


def login_url() -> str:
    base = _setting("SLOTWISE_MICROSOFT_LOGIN_URL", "https://login.microsoftonline.com").rstrip("/")
    return f"{base}/{_setting('SLOTWISE_MICROSOFT_TENANT', 'common')}/oauth2/v2.0"


def graph_url() -> str:
    return _setting("SLOTWISE_MICROSOFT_GRAPH_URL", "https://graph.microsoft.com").rstrip("/") + "/v1.0"


def enabled() -> bool:
    return bool(_setting("SLOTWISE_MICROSOFT_CLIENT_ID", ""))


# Windows time-zone names ---------------------------------------------------------------------------------


def windows_zone(name: str) -> ZoneInfo:
    """The IANA zone for a Windows time-zone name ("W. Europe Standard Time" -> Europe/Berlin), from CLDR's
    windowsZones as Babel ships it, with CLDR's own aliases resolved (Asia/Calcutta -> Asia/Kolkata). IANA
    names pass through (Graph returns them for calendars set up that way)."""
    iana = get_global("windows_zone_mapping").get(name)
    if iana is None and name in ("UTC", "Etc/UTC"):
        iana = "Etc/UTC"
    if iana is None and "/" in name:
        iana = name
    if iana is None:
        raise AdapterError(
            f"Outlook uses the time zone {name!r}, which Slotwise does not know; the event was not imported"
        )
    iana = get_global("zone_aliases").get(iana, iana)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        raise AdapterError(
            f"Outlook uses the time zone {name!r}, which Slotwise does not know; the event was not imported"
        ) from None


def graph_wall(value: dict) -> datetime:
    """The naive wall time of a Graph dateTimeTimeZone. Graph writes seven fractional digits; Python six."""
    text = value["dateTime"].rstrip("Z")
    if "." in text:
        head, frac = text.split(".", 1)
        text = f"{head}.{frac[:6]}"
    return datetime.fromisoformat(text).replace(tzinfo=None)


def graph_time(value: dict) -> datetime:
    """A Graph dateTimeTimeZone ({"dateTime": "2026-03-29T01:30:00.0000000", "timeZone": "..."}) as the
    UTC instant it names, through the one DST policy (engine/wallclock.py). As RFC 5545 reads a DTSTART:
    a time in a fall-back fold is its first instant; a time in a spring-forward gap is read with the offset
    from before the gap (02:30 on the day Berlin skips 02:00-03:00 is 01:30 UTC)."""
    wall = graph_wall(value)
    zone = windows_zone(value.get("timeZone") or "UTC").key
    instants = wall_to_instants(zone, wall)
    if instants:
        return instants[0]
    before = wall - timedelta(hours=3)  # longer than any gap: a time with one instant, before this gap
    offset = before - wall_to_instants(zone, before)[0].replace(tzinfo=None)
    return (wall - offset).replace(tzinfo=UTC)


# OAuth 2.0 with PKCE ---------------------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge) for S256 (RFC 7636): 43 to 128 characters of [A-Za-z0-9-._~]."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def consent_url(*, redirect_uri: str, state: str, code_challenge: str) -> str:
    q = {
        "client_id": _setting("SLOTWISE_MICROSOFT_CLIENT_ID", ""),
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "response_mode": "query",
        "scope": SCOPE,  # offline_access: a refresh token, to sync while the host is away
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        "prompt": "select_account",
    }
    return f"{login_url()}/authorize?{urlencode(q)}"


def _token_request(form: dict, now: datetime) -> dict:
    form = {
        **form,
        "client_id": _setting("SLOTWISE_MICROSOFT_CLIENT_ID", ""),
        "client_secret": _setting("SLOTWISE_MICROSOFT_CLIENT_SECRET", ""),
        "scope": SCOPE,
    }
    resp, body = request("POST", f"{login_url()}/token", purpose="Microsoft sign-in", data=form)
    if resp.status_code != 200:
        try:
            err = json.loads(body).get("error", "")
        except ValueError:
            err = ""
        if err == "invalid_grant" and form["grant_type"] == "refresh_token":
            raise ReconnectNeeded(
                "Microsoft no longer accepts Slotwise's access to this calendar (it was revoked or expired): "
                "reconnect Outlook",
                status=resp.status_code,
            )
        raise AdapterError(f"Microsoft sign-in: HTTP {resp.status_code} {err}".strip(), status=resp.status_code)
    data = json.loads(body)
    return {
        "access_token": data["access_token"],
        # Microsoft rotates refresh tokens: keep the new one whenever it sends one.
        "refresh_token": data.get("refresh_token") or form.get("refresh_token", ""),
        "expires_at": (now + timedelta(seconds=int(data.get("expires_in", 3600)))).isoformat(),
    }


def exchange_code(*, code: str, redirect_uri: str, code_verifier: str, now: datetime) -> dict:
    return _token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        },
        now,
    )


def _retry_after(resp, now: datetime) -> float:
    value = (resp.headers.get("Retry-After") or "").strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return 60.0


def _graph_error(body) -> str:
    if isinstance(body, dict):
        err = body.get("error") or {}
        return err.get("code", "") if isinstance(err, dict) else ""
    return ""


class Microsoft:
    """`tokens` is the decrypted dict {access_token, refresh_token, expires_at}. After a refresh,
    `tokens_changed` is True and `on_tokens(tokens)` (if given) stores them at once: Microsoft rotates the
    refresh token, so a new one must never be lost with a failing job."""

    def __init__(self, tokens: dict, *, now: datetime, on_tokens=None, on_reconnect=None):
        self.tokens = dict(tokens)
        self.now = now
        self.tokens_changed = False
        self.on_tokens = on_tokens
        self.on_reconnect = on_reconnect  # told (with the message) when only a new sign-in can help
        self.import_errors: list[str] = []  # events skipped by changes(), in words, for the import report
        self.account = ""  # the mailbox address, once list_calendars has seen the host's own calendar

    def _reconnect(self, message: str) -> ReconnectNeeded:
        if self.on_reconnect is not None:
            self.on_reconnect(message)
        return ReconnectNeeded(message, status=401)

    def _refresh(self) -> None:
        if not self.tokens.get("refresh_token"):
            raise self._reconnect("Microsoft access expired and there is no refresh token: reconnect Outlook")
        try:
            self.tokens = _token_request(
                {"grant_type": "refresh_token", "refresh_token": self.tokens["refresh_token"]}, self.now
            )
        except ReconnectNeeded as exc:
            raise self._reconnect(str(exc)) from None
        self.tokens_changed = True
        if self.on_tokens is not None:
            self.on_tokens(self.tokens)

    def _access_token(self) -> str:
        expires = self.tokens.get("expires_at")
        if not self.tokens.get("access_token") or (
            expires and datetime.fromisoformat(expires) <= self.now + timedelta(seconds=60)
        ):
            self._refresh()
        return self.tokens["access_token"]

    def _call(self, method: str, url: str, *, body=None, what: str, ok=(200,), retry_auth=True):
        """One Graph request; `url` is a path under /v1.0 or a whole @odata link Graph gave us."""
        if not url.startswith(("http://", "https://")):
            url = graph_url() + url
        headers = {"Authorization": f"Bearer {self._access_token()}", "Prefer": 'outlook.timezone="UTC"'}
        kw = {"headers": headers}
        if body is not None:
            kw["json"] = body
        resp, raw = request(method, url, purpose="Outlook calendar", **kw)
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        if resp.status_code == 401 and retry_auth:
            self.tokens["access_token"] = ""  # expired early, or revoked: refresh once
            return self._call(method, url, body=body, what=what, ok=ok, retry_auth=False)
        if resp.status_code == 401:
            raise self._reconnect("Microsoft refused Slotwise's access to this calendar: reconnect Outlook")
        if resp.status_code in (429, 503):
            wait = _retry_after(resp, self.now)
            busy = "is limiting how often Slotwise may ask" if resp.status_code == 429 else "is busy"
            raise RetryLater(
                f"Outlook {busy}; Slotwise tries again in {round(wait)} seconds",
                status=resp.status_code,
                retry_after=wait,
            )
        if resp.status_code not in ok:
            code = _graph_error(data)
            raise AdapterError(f"Outlook {what}: HTTP {resp.status_code} {code}".strip(), status=resp.status_code)
        return resp, data

    def list_calendars(self) -> list[CalendarInfo]:
        out, url = [], "/me/calendars?$top=100"
        while url:
            _, data = self._call("GET", url, what="calendar list")
            for item in data.get("value", []):
                if item.get("canEdit") and not self.account:
                    self.account = (item.get("owner") or {}).get("address", "")
                out.append(
                    CalendarInfo(
                        remote_id=item["id"],
                        name=item.get("name") or item["id"],
                        read_only=not item.get("canEdit", False),
                    )
                )
            url = data.get("@odata.nextLink")
        return out

    def changes(self, calendar_id: str, token: str, *, window=None) -> Changes:
        if token:
            url = token
        else:
            start, end = window or (self.now - timedelta(days=1), self.now + timedelta(days=180))
            q = urlencode({"startDateTime": _z(start), "endDateTime": _z(end)})
            url = f"/me/calendars/{quote(calendar_id, safe='')}/calendarView/delta?{q}"
        upserts, deletes = [], []
        while True:
            try:
                _, data = self._call("GET", url, what="calendar changes")
            except AdapterError as exc:
                if exc.status == 410 and token:
                    raise SyncTokenInvalid(
                        "Outlook forgot where the last sync ended (410 Gone); syncing in full", status=410
                    ) from None
                if exc.status == 501:  # no delta for this mailbox: read it as free/busy, as sync does a 403
                    raise AdapterError(f"{exc}; reading free/busy instead", status=403) from None
                raise
            for ev in data.get("value", []):
                if "@removed" in ev or ev.get("isCancelled"):
                    deletes.append(ev["id"])
                    continue
                try:
                    text = event_to_ics(ev)
                except AdapterError as exc:  # one event we cannot read: reported, the others still count
                    self.import_errors.append(f"{ev.get('subject') or 'an event'}: {exc}")
                    continue
                upserts.append(Resource(href=ev["id"], etag=ev.get("@odata.etag", ev.get("changeKey", "")), data=text))
            if data.get("@odata.nextLink"):
                url = data["@odata.nextLink"]
                continue
            return Changes(token=data.get("@odata.deltaLink", ""), full=not token, upserts=upserts, deletes=deletes)

    def free_busy(self, calendar_id: str, window) -> list[tuple[datetime, datetime]]:
        """getSchedule for the calendar's owner: the periods that are not free, asked for in spans of less
        than 42 days (Graph's limit), an event across two spans counted once."""
        _, cal = self._call("GET", f"/me/calendars/{quote(calendar_id, safe='')}", what="calendar")
        address = (cal.get("owner") or {}).get("address", "")
        if not address:
            raise AdapterError(f"Outlook calendar {cal.get('name', '')!r} has no owner address to ask for free/busy")
        start, end = window
        out: set[tuple[datetime, datetime]] = set()
        while start < end:
            stop = min(end, start + SCHEDULE_SPAN)
            _, data = self._call(
                "POST",
                "/me/calendar/getSchedule",
                what="free/busy",
                body={
                    "schedules": [address],
                    "startTime": {"dateTime": _local(start), "timeZone": "UTC"},
                    "endTime": {"dateTime": _local(stop), "timeZone": "UTC"},
                    "availabilityViewInterval": 15,
                },
            )
            for sched in data.get("value", []):
                if sched.get("error"):
                    raise AdapterError(f"Outlook free/busy for {address}: {sched['error'].get('message', 'refused')}")
                for item in sched.get("scheduleItems", []):
                    if str(item.get("status", "")).lower() in BUSY_SHOW_AS:
                        out.add((graph_time(item["start"]), graph_time(item["end"])))
            start = stop
        return sorted(out)

    def default_href(self, calendar_id: str, uid: str) -> str:
        return ""  # Graph names events itself; without a recorded id there is nothing we can address

    def put_event(self, calendar_id: str, *, uid: str, ics: str, href: str = "", attendees=()) -> Written:
        body = ics_to_event(ics)
        cal = quote(calendar_id, safe="")
        written = None
        if href:
            resp, data = self._call(
                "PATCH",
                f"/me/calendars/{cal}/events/{quote(href, safe='')}",
                body=body,
                what="event update",
                ok=(200, 404),
            )
            if resp.status_code == 200:
                written = Written(href=data["id"], etag=data.get("@odata.etag", ""))
            # deleted by the host meanwhile: the booking still stands, so write it again
        if written is None:
            _, data = self._call(
                "POST",
                f"/me/calendars/{cal}/events",
                body={**body, "transactionId": uid},
                what="event create",
                ok=(200, 201),
            )
            written = Written(href=data["id"], etag=data.get("@odata.etag", ""))
        self._drop_excluded(cal, written.href, ics)
        return written

    def _drop_excluded(self, cal: str, event_id: str, ics: str) -> None:
        """Graph has no EXDATE: a series' excluded meetings are its occurrences deleted one by one (those
        gone already are not listed, so a retry deletes nothing twice)."""
        for instant in excluded_instants(ics):
            lo = (instant - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            hi = (instant + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            _, data = self._call(
                "GET",
                f"/me/calendars/{cal}/events/{quote(event_id, safe='')}/instances?startDateTime={lo}&endDateTime={hi}",
                what="occurrences",
            )
            for occ in data.get("value", []):
                if _utc_of(occ["start"]) == instant:
                    self._call(
                        "DELETE",
                        f"/me/calendars/{cal}/events/{quote(occ['id'], safe='')}",
                        what="occurrence delete",
                        ok=(200, 204, 404),
                    )

    def delete_event(self, calendar_id: str, *, href: str) -> None:
        if not href:
            return  # never created (the create's answer was not recorded): see default_href
        self._call(
            "DELETE",
            f"/me/calendars/{quote(calendar_id, safe='')}/events/{quote(href, safe='')}",
            what="event delete",
            ok=(200, 204, 404),
        )


def _z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def event_to_ics(ev: dict) -> str:
    """One Graph event (an occurrence or a single event) as iCalendar, for the one busy-time parser."""
    cal = icalendar.Calendar()
    cal.add("PRODID", "-//slotwise//outlook//EN")
    cal.add("VERSION", "2.0")
    e = icalendar.Event()
    # Our own write-back copies carry our UID as transactionId: sync skips them by it.
    e.add("UID", ev.get("transactionId") or ev.get("iCalUId") or ev["id"])
    e.add("SUMMARY", ev.get("subject") or "")
    if ev.get("isAllDay"):
        # Midnight to midnight in the event's zone: whole days, which busy time reads in the host's zone.
        first, last = graph_wall(ev["start"]).date(), graph_wall(ev["end"]).date()
        e.add("DTSTART", first)
        e.add("DTEND", max(last, first + timedelta(days=1)))
    else:
        e.add("DTSTART", graph_time(ev["start"]))
        e.add("DTEND", graph_time(ev["end"]))
    if str(ev.get("showAs") or "busy").lower() not in BUSY_SHOW_AS:
        e.add("TRANSP", "TRANSPARENT")
    cal.add_component(e)
    return cal.to_ical().decode()


def ics_to_event(ics: str) -> dict:
    """The Graph event body for one VEVENT Slotwise wrote (UTC times, attendees, location, description)."""
    ev = next(c for c in icalendar.Calendar.from_ical(ics).walk("VEVENT"))

    def when(prop) -> dict:
        value = ev[prop].dt
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day, tzinfo=UTC)
        return {"dateTime": _local(value), "timeZone": "UTC"}

    body = {
        "subject": str(ev.get("SUMMARY", "")),
        "body": {"contentType": "text", "content": str(ev.get("DESCRIPTION", ""))},
        "start": when("DTSTART"),
        "end": when("DTEND"),
        "showAs": "busy",
        "location": {"displayName": str(ev.get("LOCATION", ""))},
    }
    if "RRULE" in ev:
        # A recurring booking: Graph's pattern and range, expanded in the host's zone (the invitation's
        # TZID, an IANA name, which Graph accepts); its EXDATEs are deleted occurrences (put_event).
        start, end = ev["DTSTART"].dt, ev["DTEND"].dt
        zone = str(ev["DTSTART"].params.get("TZID", "UTC"))
        rule = ev["RRULE"]
        body["start"] = {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": zone}
        body["end"] = {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": zone}
        body["recurrence"] = {
            "pattern": {
                "type": "weekly",
                "interval": int(rule.get("INTERVAL", [1])[0]),
                "daysOfWeek": [WEEKDAYS[start.weekday()]],
                "firstDayOfWeek": "monday",
            },
            "range": {
                "type": "numbered",
                "startDate": start.date().isoformat(),
                "numberOfOccurrences": int(rule["COUNT"][0]),
                "recurrenceTimeZone": zone,
            },
        }
    # No attendees: Outlook sends its own invitation to every attendee of a new event and cannot be told not
    # to; the invitees have theirs from Slotwise, and the description names them.
    return body


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def excluded_instants(ics: str) -> list[datetime]:
    """The UTC starts of a series' EXDATEs (none for a single meeting)."""
    ev = next(c for c in icalendar.Calendar.from_ical(ics).walk("VEVENT"))
    found = ev.get("EXDATE")
    lines = found if isinstance(found, list) else [found] if found is not None else []
    return [d.dt.astimezone(UTC) for line in lines for d in line.dts]


def _utc_of(when: dict) -> datetime:
    """A Graph dateTimeTimeZone in UTC (Slotwise asks for UTC: Prefer outlook.timezone)."""
    return datetime.fromisoformat(when["dateTime"][:19]).replace(tzinfo=UTC)
