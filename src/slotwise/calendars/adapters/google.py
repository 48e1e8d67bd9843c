"""Google Calendar API v3 over HTTP, with OAuth 2.0 (authorization code + refresh token).

Base URLs are settings (SLOTWISE_GOOGLE_AUTH_URL, _TOKEN_URL, _API_URL) so tests point them at a local
fake built from Google's documented shapes. Events are read with singleEvents=false and showDeleted=true
and converted to iCalendar, so recurrence (RRULE/EXDATE in `recurrence`, exceptions as events with
`recurringEventId` + `originalStartTime`) is expanded by the same code as CalDAV and ICS feeds. A 410 on a
sync token means "sync again in full". Writes use our own event id, so a retried insert is a 409, not a
duplicate.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings

from .base import AdapterError, CalendarInfo, Changes, Resource, SyncTokenInvalid, Written
from .http import request

SCOPE = "https://www.googleapis.com/auth/calendar"


def _setting(name: str, default: str) -> str:
    return getattr(settings, name, "") or default


def auth_url() -> str:
    return _setting("SLOTWISE_GOOGLE_AUTH_URL", "https://accounts.google.com/o/oauth2/v2/auth")


def token_url() -> str:
    return _setting("SLOTWISE_GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token")


def api_url() -> str:
    return _setting("SLOTWISE_GOOGLE_API_URL", "https://www.googleapis.com").rstrip("/")


def consent_url(*, redirect_uri: str, state: str) -> str:
    q = {
        "client_id": _setting("SLOTWISE_GOOGLE_CLIENT_ID", ""),
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": SCOPE,
        "access_type": "offline",  # we need a refresh token to sync while the host is away
        "prompt": "consent",
        "include_granted_scopes": "true",
        "state": state,
    }
    return f"{auth_url()}?{urlencode(q)}"


def _token_request(form: dict, now: datetime) -> dict:
    form = {
        **form,
        "client_id": _setting("SLOTWISE_GOOGLE_CLIENT_ID", ""),
        "client_secret": _setting("SLOTWISE_GOOGLE_CLIENT_SECRET", ""),
    }
    resp, body = request("POST", token_url(), purpose="Google sign-in", data=form)
    if resp.status_code != 200:
        try:
            err = json.loads(body).get("error", "")
        except ValueError:
            err = ""
        raise AdapterError(f"Google token endpoint: HTTP {resp.status_code} {err}".strip(), status=resp.status_code)
    data = json.loads(body)
    return {
        "access_token": data["access_token"],
        "refresh_token": data.get("refresh_token", form.get("refresh_token", "")),
        "expires_at": (now + timedelta(seconds=int(data.get("expires_in", 3600)))).isoformat(),
    }


def exchange_code(*, code: str, redirect_uri: str, now: datetime) -> dict:
    return _token_request({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}, now)


class Google:
    """`tokens` is the decrypted dict {access_token, refresh_token, expires_at}; after a refresh,
    `self.tokens_changed` is True and the caller stores the new ones (encrypted)."""

    def __init__(self, tokens: dict, *, now: datetime, send_updates: str = "none"):
        self.tokens = dict(tokens)
        self.now = now
        self.tokens_changed = False
        self.send_updates = send_updates

    def _access_token(self) -> str:
        expires = self.tokens.get("expires_at")
        if not self.tokens.get("access_token") or (
            expires and datetime.fromisoformat(expires) <= self.now + timedelta(seconds=60)
        ):
            if not self.tokens.get("refresh_token"):
                raise AdapterError("Google access expired and there is no refresh token: connect Google again")
            self.tokens = _token_request(
                {"grant_type": "refresh_token", "refresh_token": self.tokens["refresh_token"]}, self.now
            )
            self.tokens_changed = True
        return self.tokens["access_token"]

    def _call(self, method: str, path: str, *, params=None, body=None, retry_auth=True):
        url = f"{api_url()}/calendar/v3{path}"
        if params:
            url += "?" + urlencode(params)
        headers = {"Authorization": f"Bearer {self._access_token()}"}
        kw = {"headers": headers}
        if body is not None:
            kw["json"] = body
        resp, data = request(method, url, purpose="Google Calendar", **kw)
        if resp.status_code == 401 and retry_auth:
            self.tokens["access_token"] = ""  # rejected early (revoked or clock skew): refresh once
            return self._call(method, path, params=params, body=body, retry_auth=False)
        return resp, (json.loads(data) if data else {})

    def list_calendars(self) -> list[CalendarInfo]:
        out, page = [], None
        while True:
            resp, data = self._call("GET", "/users/me/calendarList", params={"pageToken": page} if page else None)
            if resp.status_code != 200:
                raise AdapterError(f"Google calendarList.list: HTTP {resp.status_code}", status=resp.status_code)
            for item in data.get("items", []):
                out.append(
                    CalendarInfo(
                        remote_id=item["id"],
                        name=item.get("summaryOverride") or item.get("summary", item["id"]),
                        read_only=item.get("accessRole") not in ("owner", "writer"),
                    )
                )
            page = data.get("nextPageToken")
            if not page:
                return out

    def changes(self, calendar_id: str, token: str, *, window=None) -> Changes:
        upserts, deletes, page = [], [], None
        while True:
            params = {"showDeleted": "true", "singleEvents": "false", "maxResults": "250"}
            if token:
                params["syncToken"] = token
            if page:
                params["pageToken"] = page
            resp, data = self._call("GET", f"/calendars/{quote(calendar_id, safe='')}/events", params=params)
            if resp.status_code == 410:
                raise SyncTokenInvalid("Google: the sync token expired (410 GONE); syncing in full")
            if resp.status_code != 200:
                raise AdapterError(f"Google events.list: HTTP {resp.status_code}", status=resp.status_code)
            for ev in data.get("items", []):
                if ev.get("status") == "cancelled" and not ev.get("recurringEventId"):
                    deletes.append(ev["id"])
                else:
                    upserts.append(Resource(href=ev["id"], etag=ev.get("etag", ""), data=event_to_ics(ev)))
            page = data.get("nextPageToken")
            if not page:
                return Changes(token=data.get("nextSyncToken", ""), full=not token, upserts=upserts, deletes=deletes)

    def default_href(self, calendar_id: str, uid: str) -> str:
        return google_id(uid)

    def put_event(self, calendar_id: str, *, uid: str, ics: str, href: str = "", attendees=()) -> Written:
        body = ics_to_event(ics)
        event_id = href or google_id(uid)
        cal = quote(calendar_id, safe="")
        params = {"sendUpdates": self.send_updates}
        if not href:
            resp, data = self._call("POST", f"/calendars/{cal}/events", params=params, body={**body, "id": event_id})
            if resp.status_code == 409:  # a retried insert: it is there already, so update it
                href = event_id
            elif resp.status_code not in (200, 201):
                raise AdapterError(f"Google events.insert: HTTP {resp.status_code}", status=resp.status_code)
            else:
                return Written(href=data["id"], etag=data.get("etag", ""))
        resp, data = self._call("PUT", f"/calendars/{cal}/events/{quote(href, safe='')}", params=params, body=body)
        if resp.status_code != 200:
            raise AdapterError(f"Google events.update: HTTP {resp.status_code}", status=resp.status_code)
        return Written(href=data["id"], etag=data.get("etag", ""))

    def delete_event(self, calendar_id: str, *, href: str) -> None:
        if not href:
            raise ValueError("delete_event needs the event id")
        resp, _ = self._call(
            "DELETE",
            f"/calendars/{quote(calendar_id, safe='')}/events/{quote(href, safe='')}",
            params={"sendUpdates": self.send_updates},
        )
        if resp.status_code not in (200, 204, 404, 410):
            raise AdapterError(f"Google events.delete: HTTP {resp.status_code}", status=resp.status_code)

    def watch(self, calendar_id: str, *, channel_id: str, token: str, address: str) -> dict:
        resp, data = self._call(
            "POST",
            f"/calendars/{quote(calendar_id, safe='')}/events/watch",
            body={"id": channel_id, "type": "web_hook", "address": address, "token": token},
        )
        if resp.status_code != 200:
            raise AdapterError(f"Google events.watch: HTTP {resp.status_code}", status=resp.status_code)
        return data


def google_id(uid: str) -> str:
    """Google event ids are base32hex (a-v, 0-9), 5 to 1024 characters: hex of the UID fits."""
    return uid.encode().hex()[:1024]


def _when(value: dict):
    if "date" in value:
        return date.fromisoformat(value["date"])
    dt = datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
    if value.get("timeZone"):
        try:
            return dt.astimezone(ZoneInfo(value["timeZone"]))
        except Exception:  # noqa: BLE001 - an unknown zone name: keep the offset Google gave
            return dt
    return dt


def event_to_ics(ev: dict) -> str:
    cal = icalendar.Calendar()
    cal.add("PRODID", "-//slotwise//google//EN")
    cal.add("VERSION", "2.0")
    e = icalendar.Event()
    e.add("UID", ev.get("iCalUID") or ev["id"])
    e.add("SUMMARY", ev.get("summary", ""))
    start = ev.get("start") or ev.get("originalStartTime")  # a cancelled instance may carry only the latter
    if start:
        e.add("DTSTART", _when(start))
    if "end" in ev:
        e.add("DTEND", _when(ev["end"]))
    if ev.get("originalStartTime"):
        e.add("RECURRENCE-ID", _when(ev["originalStartTime"]))
    if ev.get("status") == "cancelled":
        e.add("STATUS", "CANCELLED")
    if ev.get("transparency") == "transparent":
        e.add("TRANSP", "TRANSPARENT")
    cal.add_component(e)
    text = cal.to_ical().decode()
    rules = "".join(f"{line}\r\n" for line in ev.get("recurrence", []))
    return text.replace("END:VEVENT", rules + "END:VEVENT", 1) if rules else text


def ics_to_event(ics: str) -> dict:
    """The Google event body for one VEVENT Slotwise wrote (UTC times, attendees, location, description)."""
    ev = next(c for c in icalendar.Calendar.from_ical(ics).walk("VEVENT"))
    body = {
        "summary": str(ev.get("SUMMARY", "")),
        "description": str(ev.get("DESCRIPTION", "")),
        "location": str(ev.get("LOCATION", "")),
        "start": {"dateTime": ev["DTSTART"].dt.astimezone(UTC).isoformat().replace("+00:00", "Z")},
        "end": {"dateTime": ev["DTEND"].dt.astimezone(UTC).isoformat().replace("+00:00", "Z")},
        "iCalUID": str(ev["UID"]),
    }
    if "RRULE" in ev:
        # A recurring booking: Google expands `recurrence` (RFC 5545 lines) in start.timeZone, which it
        # requires for a recurring event; the wall time is the host's, like the invitation's TZID.
        zone = str(ev["DTSTART"].params.get("TZID", "UTC"))
        for key in ("start", "end"):
            body[key] = {"dateTime": ev["DTSTART" if key == "start" else "DTEND"].dt.isoformat(), "timeZone": zone}
        body["recurrence"] = [f"RRULE:{ev['RRULE'].to_ical().decode()}"]
        exdates = ev.get("EXDATE")
        for line in exdates if isinstance(exdates, list) else [exdates] if exdates is not None else []:
            body["recurrence"].append(f"EXDATE;TZID={zone}:" + ",".join(f"{d.dt:%Y%m%dT%H%M%S}" for d in line.dts))
    attendees = ev.get("ATTENDEE")
    if attendees is not None:
        attendees = attendees if isinstance(attendees, list) else [attendees]
        body["attendees"] = [
            {"email": str(a).removeprefix("mailto:").removeprefix("MAILTO:"), "displayName": a.params.get("CN", "")}
            for a in attendees
        ]
    return body
