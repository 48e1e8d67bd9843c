"""A local fake of Microsoft Graph v1.0 calendars and the Microsoft identity platform v2.0 token endpoint,
built from Microsoft's documented request and response shapes. Only what Slotwise uses:

- POST /{tenant}/oauth2/v2.0/token: authorization_code with PKCE (code_verifier checked against the S256
  code_challenge) and refresh_token, which rotates (the old refresh token stops working); errors as
  {"error": "invalid_grant", "error_description": "AADSTS...", "error_codes": [...]}.
- GET /v1.0/me/calendars (value, @odata.nextLink; canEdit, owner), GET /v1.0/me/calendars/{id}.
- GET /v1.0/me/calendars/{id}/calendarView/delta?startDateTime&endDateTime: a round of pages, each with
  @odata.nextLink ($skiptoken) until the last, which has @odata.deltaLink ($deltatoken); a later round from
  the deltaLink has only what changed, removals as {"id": ..., "@removed": {"reason": "deleted"}}; a
  forgotten delta token is 410 Gone; page size from Prefer: odata.maxpagesize.
- POST /v1.0/me/calendar/getSchedule (scheduleItems with status = showAs).
- POST / PATCH / DELETE /v1.0/me/calendars/{id}/events[/{event id}], with transactionId on create.
- 401 InvalidAuthenticationToken for unknown access tokens; queued 429/503 answers with Retry-After.

Events are stored the way a test writes them and returned with their start/end as stored: a test writes
UTC for what Prefer: outlook.timezone="UTC" returns, or a Windows zone to stand for an event whose zone
Graph reports by its Windows name. calendarView filters only UTC events by the window; others are always in.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import secrets
import threading
from datetime import datetime, timedelta
from urllib.parse import parse_qs, unquote, urlencode

from .google_fake import serve  # noqa: F401 - the one local HTTP harness for provider fakes

GRAPH = "/v1.0"


def _error(code: str, message: str) -> dict:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": "2026-03-02T09:00:00", "request-id": secrets.token_hex(8)},
        }
    }


def _aad_error(error: str, code: int, description: str) -> dict:
    return {
        "error": error,
        "error_description": f"AADSTS{code}: {description}",
        "error_codes": [code],
        "timestamp": "2026-03-02 09:00:00Z",
        "trace_id": secrets.token_hex(8),
        "correlation_id": secrets.token_hex(8),
    }


class GraphFake:
    def __init__(self):
        self.base = ""  # set by the fixture: links Graph gives back are absolute
        self.client_id, self.client_secret = "slotwise-ms-client", "ms-s3cret"
        self.codes: dict[str, tuple[str, str]] = {}  # code -> (redirect_uri, code_challenge)
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.calendars: dict[str, dict] = {}
        self.seq = itertools.count(1)
        self.rounds: dict[str, dict] = {}  # skip/delta token -> the round's state
        self.log: list[tuple[str, str, dict, dict]] = []  # (method, path, query, headers) of every API call
        self.token_calls: list[dict] = []
        self.throttle: list[tuple[int, str]] = []
        self.schedule_calls: list[dict] = []  # next answers: (429 or 503, Retry-After value)
        self.page_size = 50
        self.lock = threading.Lock()
        self.deleted_occurrences: dict[str, set[str]] = {}  # series master id -> occurrence ids deleted

    # what Microsoft's side does on its own (the host edits their calendar) ---------------------------------
    def add_calendar(
        self,
        cal_id: str,
        name: str,
        *,
        can_edit: bool = True,
        owner: str = "ada@contoso.example",
        free_busy_only: bool = False,
        no_delta: bool = False,
    ):
        self.calendars[cal_id] = {
            "name": name,
            "canEdit": can_edit,
            "owner": owner,
            "free_busy_only": free_busy_only,
            "no_delta": no_delta,
            "events": {},
            "changes": [],
        }

    def upsert(self, cal_id: str, event: dict) -> dict:
        with self.lock:
            cal = self.calendars[cal_id]
            n = next(self.seq)
            old = cal["events"].get(event.get("id", ""), {})
            event = {
                "@odata.etag": f'W/"ck{n}"',
                "id": event.get("id") or "AAMk" + secrets.token_hex(12),
                "changeKey": f"ck{n}",
                "iCalUId": old.get("iCalUId") or "040000008200E00074C5B7101A82E008" + secrets.token_hex(16).upper(),
                "subject": "",
                "showAs": "busy",
                "isAllDay": False,
                "isCancelled": False,
                "type": "singleInstance",
                **{k: v for k, v in old.items() if not k.startswith("@")},
                **event,
            }
            event["changeKey"], event["@odata.etag"] = f"ck{n}", f'W/"ck{n}"'
            cal["events"][event["id"]] = event
            cal["changes"].append((n, event["id"]))
            return event

    def remove(self, cal_id: str, event_id: str) -> None:
        with self.lock:
            cal = self.calendars[cal_id]
            del cal["events"][event_id]
            cal["changes"].append((next(self.seq), event_id))

    def issue_code(self, redirect_uri: str, code_challenge: str) -> str:
        code = "M." + secrets.token_urlsafe(16)
        self.codes[code] = (redirect_uri, code_challenge)
        return code

    def forget_delta_tokens(self):
        """Graph may drop a delta token's sync state; the next request with it gets 410 Gone."""
        for state in self.rounds.values():
            state["gone"] = True

    def api_calls(self, method: str, contains: str = "") -> list[tuple[str, dict, dict]]:
        return [(p, q, h) for m, p, q, h in self.log if m == method and contains in p]

    # HTTP --------------------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict, headers, body: bytes):
        if path.endswith("/oauth2/v2.0/token"):
            return self._token({k: v[0] for k, v in parse_qs(body.decode()).items()})
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.access:
            return 401, _error("InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
        self.log.append((method, path, query, {k: v for k, v in headers.items()}))
        if self.throttle:
            status, retry_after = self.throttle.pop(0)
            code = "TooManyRequests" if status == 429 else "ServiceNotAvailable"
            return status, _error(code, "Please retry again later."), {"Retry-After": retry_after}
        if not path.startswith(GRAPH + "/me/"):
            return 404, _error("ResourceNotFound", "Resource not found for the segment.")
        parts = [unquote(p) for p in path[len(GRAPH) + 1 :].split("/")]
        if parts == ["me", "calendars"] and method == "GET":
            return 200, {
                "@odata.context": f"{self.base}{GRAPH}/$metadata#users('me')/calendars",
                "value": [self._calendar(cid) for cid in self.calendars],
            }
        if parts == ["me", "calendar", "getSchedule"] and method == "POST":
            return self._schedule(json.loads(body))
        if len(parts) < 3 or parts[1] != "calendars" or parts[2] not in self.calendars:
            return 404, _error("ErrorItemNotFound", "The specified object was not found in the store.")
        cal_id, rest = parts[2], parts[3:]
        if not rest and method == "GET":
            return 200, self._calendar(cal_id)
        if rest == ["calendarView", "delta"] and method == "GET":
            return self._delta(cal_id, query, headers)
        if rest == ["events"] and method == "POST":
            return self._create(cal_id, json.loads(body))
        if len(rest) == 3 and rest[0] == "events" and rest[2] == "instances" and method == "GET":
            return self._instances(cal_id, rest[1], query)
        if len(rest) == 2 and rest[0] == "events" and method == "DELETE" and "_occ_" in rest[1]:
            master = rest[1].split("_occ_")[0]
            if rest[1] not in {o["id"] for o in self._occurrences(cal_id, master)}:
                return 404, _error("ErrorItemNotFound", "The specified object was not found in the store.")
            self.deleted_occurrences.setdefault(master, set()).add(rest[1])
            return 204, None
        if len(rest) == 2 and rest[0] == "events":
            ev = self.calendars[cal_id]["events"].get(rest[1])
            if ev is None:
                return 404, _error("ErrorItemNotFound", "The specified object was not found in the store.")
            if method == "PATCH":
                return 200, self.upsert(cal_id, {**json.loads(body), "id": rest[1]})
            if method == "DELETE":
                self.remove(cal_id, rest[1])
                return 204, None
        return 405, _error("ErrorInvalidRequest", "The OData request is not supported.")

    def _occurrences(self, cal_id: str, master_id: str) -> list[dict]:
        """A series master's occurrences (a weekly pattern with a numbered range, as Graph documents
        recurrence), less the deleted ones; starts in UTC, as asked for with Prefer: outlook.timezone."""
        from zoneinfo import ZoneInfo

        ev = self.calendars[cal_id]["events"].get(master_id) or {}
        rec = ev.get("recurrence")
        if not rec:
            return []
        zone = ZoneInfo(rec["range"]["recurrenceTimeZone"])
        first = datetime.fromisoformat(ev["start"]["dateTime"])
        length = datetime.fromisoformat(ev["end"]["dateTime"]) - first
        out = []
        for k in range(rec["range"]["numberOfOccurrences"]):
            wall = first + timedelta(weeks=k * rec["pattern"]["interval"])
            start = wall.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))
            end = (wall + length).replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))
            occ_id = f"{master_id}_occ_{wall:%Y%m%d}"
            if occ_id in self.deleted_occurrences.get(master_id, set()):
                continue
            out.append(
                {
                    "id": occ_id,
                    "type": "occurrence",
                    "seriesMasterId": master_id,
                    "start": {"dateTime": f"{start:%Y-%m-%dT%H:%M:%S}.0000000", "timeZone": "UTC"},
                    "end": {"dateTime": f"{end:%Y-%m-%dT%H:%M:%S}.0000000", "timeZone": "UTC"},
                }
            )
        return out

    def _instances(self, cal_id: str, master_id: str, q: dict):
        if "startDateTime" not in q or "endDateTime" not in q:
            return 400, _error("ErrorInvalidParameter", "This request requires a time window.")
        if master_id not in self.calendars[cal_id]["events"]:
            return 404, _error("ErrorItemNotFound", "The specified object was not found in the store.")
        lo, hi = (q[k][0] if isinstance(q[k], list) else q[k] for k in ("startDateTime", "endDateTime"))
        lo, hi = lo.rstrip("Z")[:19], hi.rstrip("Z")[:19]
        found = [o for o in self._occurrences(cal_id, master_id) if lo <= o["start"]["dateTime"][:19] < hi]
        return 200, {"value": found}

    def _calendar(self, cal_id: str) -> dict:
        c = self.calendars[cal_id]
        return {
            "id": cal_id,
            "name": c["name"],
            "canEdit": c["canEdit"],
            "canShare": c["canEdit"],
            "owner": {"name": c["name"], "address": c["owner"]},
            "changeKey": "c1",
        }

    def _token(self, form: dict):
        self.token_calls.append(form)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 401, _aad_error("invalid_client", 7000215, "Invalid client secret provided.")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            redirect_uri, challenge = self.codes.pop(form.get("code", ""), ("", ""))
            verifier = form.get("code_verifier", "")
            expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if not redirect_uri or redirect_uri != form.get("redirect_uri"):
                return 400, _aad_error("invalid_grant", 70008, "The provided authorization code is invalid.")
            if expected != challenge:
                return 400, _aad_error("invalid_grant", 501481, "The Code_Verifier does not match the code_challenge.")
        elif grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh:
                return 400, _aad_error("invalid_grant", 700082, "The refresh token has expired due to inactivity.")
            self.refresh.discard(form["refresh_token"])  # rotated: the old one is spent
        else:
            return 400, _aad_error("unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        access, refresh = "eyJ0" + secrets.token_urlsafe(20), "M.R3_" + secrets.token_urlsafe(20)
        self.access.add(access)
        self.refresh.add(refresh)
        return 200, {
            "token_type": "Bearer",
            "scope": "https://graph.microsoft.com/Calendars.ReadWrite",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": access,
            "refresh_token": refresh,
        }

    def _delta(self, cal_id: str, q: dict, headers):
        cal = self.calendars[cal_id]
        if cal["free_busy_only"]:
            return 403, _error("ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        if cal["no_delta"]:
            return 501, _error("NotImplemented", "The delta function is not supported for this mailbox.")
        m = re.search(r"odata\.maxpagesize=(\d+)", headers.get("Prefer", ""))
        size = int(m.group(1)) if m else self.page_size
        if "$skiptoken" in q or "$deltatoken" in q:
            state = self.rounds.get(q.get("$skiptoken") or q.get("$deltatoken"))
            if state is None or state["gone"] or state["calendar"] != cal_id:
                return 410, _error("SyncStateNotFound", "The sync state generation is not found.")
            state = dict(state)
            if "$deltatoken" in q:  # a new round: what changed since the last one ended
                state["since"], state["offset"] = state["until"], 0
        else:
            if "startDateTime" not in q or "endDateTime" not in q:
                return 400, _error(
                    "ErrorInvalidParameter",
                    "This request requires a time window specified by "
                    "the query string parameters StartDateTime and EndDateTime.",
                )
            state = {
                "calendar": cal_id,
                "since": 0,
                "offset": 0,
                "gone": False,
                "start": q["startDateTime"],
                "end": q["endDateTime"],
            }
        if state["offset"] == 0:
            state["until"] = max((n for n, _ in cal["changes"]), default=0)
        changed = sorted({eid for n, eid in cal["changes"] if state["since"] < n <= state["until"]})
        items = []
        for eid in changed:
            ev = cal["events"].get(eid)
            if ev is None:
                if state["since"]:
                    items.append(
                        {"@odata.type": "#microsoft.graph.event", "id": eid, "@removed": {"reason": "deleted"}}
                    )
            elif self._in_window(ev, state):
                items.append(ev)
        page = items[state["offset"] : state["offset"] + size]
        token = secrets.token_urlsafe(12)
        link = f"{self.base}{GRAPH}/me/calendars/{cal_id}/calendarView/delta?"
        out = {"@odata.context": f"{self.base}{GRAPH}/$metadata#Collection(event)", "value": page}
        if state["offset"] + size < len(items):
            self.rounds[token] = {**state, "offset": state["offset"] + size}
            out["@odata.nextLink"] = link + urlencode({"$skiptoken": token}, safe="$")
        else:
            self.rounds[token] = {**state, "offset": 0}
            out["@odata.deltaLink"] = link + urlencode({"$deltatoken": token}, safe="$")
        return 200, out

    @staticmethod
    def _in_window(ev: dict, state: dict) -> bool:
        if ev["start"].get("timeZone") != "UTC":
            return True
        return ev["start"]["dateTime"][:19] < state["end"][:19] and ev["end"]["dateTime"][:19] > state["start"][:19]

    def _create(self, cal_id: str, body: dict):
        txn = body.get("transactionId")
        for ev in self.calendars[cal_id]["events"].values():
            if txn and ev.get("transactionId") == txn:
                return 201, ev  # a retried create: the event it made the first time
        return 201, self.upsert(cal_id, {k: v for k, v in body.items() if k != "id"})

    def _schedule(self, body: dict):
        span = datetime.fromisoformat(body["endTime"]["dateTime"]) - datetime.fromisoformat(
            body["startTime"]["dateTime"]
        )
        if span >= timedelta(days=42):
            return 400, _error("ErrorInvalidParameter", "The time period to look up must be less than 42 days.")
        self.schedule_calls.append(body)
        out = []
        for address in body["schedules"]:
            cals = [c for c in self.calendars.values() if c["owner"] == address]
            if not cals:
                out.append(
                    {
                        "scheduleId": address,
                        "error": {
                            "message": "The user is not in the directory.",
                            "responseCode": "ErrorMailRecipientNotFound",
                        },
                    }
                )
                continue
            items = [
                # The documented example writes the status capitalized ("Tentative"), unlike showAs.
                {
                    "isPrivate": False,
                    "status": ev["showAs"][:1].upper() + ev["showAs"][1:],
                    "subject": ev.get("subject", ""),
                    "start": ev["start"],
                    "end": ev["end"],
                }
                for c in cals
                for ev in c["events"].values()
            ]
            out.append(
                {
                    "scheduleId": address,
                    "availabilityView": "",
                    "scheduleItems": items,
                    "workingHours": {
                        "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                        "startTime": "08:00:00.0000000",
                        "endTime": "17:00:00.0000000",
                        "timeZone": {"name": "Pacific Standard Time"},
                    },
                }
            )
        return 200, {
            "@odata.context": f"{self.base}{GRAPH}/$metadata#Collection(microsoft.graph.scheduleInformation)",
            "value": out,
        }
