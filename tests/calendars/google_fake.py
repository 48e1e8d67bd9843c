"""A local fake of the Google Calendar API v3 and OAuth token endpoint, built from Google's documented
request and response shapes (calendarList.list, events.list with syncToken / nextPageToken /
nextSyncToken and 410 fullSyncRequired, events.insert / update / delete with sendUpdates, events.watch,
token endpoint with authorization_code and refresh_token grants). Only what Slotwise uses."""

from __future__ import annotations

import itertools
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


def _error(code: int, message: str, reason: str, status: str = "") -> dict:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"domain": "global", "reason": reason, "message": message}],
            **({"status": status} if status else {}),
        }
    }


class GoogleFake:
    def __init__(self):
        self.codes: dict[str, str] = {}  # code -> redirect_uri it was issued for
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.calendars: dict[str, dict] = {}
        self.seq = itertools.count(1)
        self.log: list[tuple[str, str, dict]] = []  # (method, path, query) of every API call
        self.token_calls: list[dict] = []
        self.invalid_sync_tokens: set[str] = set()
        self.channels: list[dict] = []
        self.page_size = 100
        self.lock = threading.Lock()

    # what Google's side does on its own (the host edits their calendar) -----------------------------------
    def add_calendar(self, cal_id: str, summary: str, role: str = "owner", primary: bool = False):
        self.calendars[cal_id] = {
            "summary": summary,
            "accessRole": role,
            "primary": primary,
            "events": {},
            "changes": [],
        }

    def upsert(self, cal_id: str, event: dict) -> dict:
        with self.lock:
            cal = self.calendars[cal_id]
            n = next(self.seq)
            event = {
                "kind": "calendar#event",
                "status": "confirmed",
                **event,
                "etag": f'"{n}"',
                "iCalUID": event.get("iCalUID") or f"{event['id']}@google.com",
            }
            cal["events"][event["id"]] = event
            cal["changes"].append((n, event["id"]))
            return event

    def cancel(self, cal_id: str, event_id: str) -> None:
        with self.lock:
            cal = self.calendars[cal_id]
            n = next(self.seq)
            cal["events"][event_id] = {**cal["events"][event_id], "status": "cancelled", "etag": f'"{n}"'}
            cal["changes"].append((n, event_id))

    def issue_code(self, redirect_uri: str) -> str:
        code = "4/" + secrets.token_urlsafe(12)
        self.codes[code] = redirect_uri
        return code

    def forget_sync_tokens(self):
        """Google may expire sync tokens at any time; the next incremental call gets 410."""
        for cal_id in self.calendars:
            for n in range(0, next(self.seq)):
                self.invalid_sync_tokens.add(f"{cal_id}:{n}")

    def api_calls(self, method: str, contains: str = "") -> list[dict]:
        return [q for m, p, q in self.log if m == method and contains in p]

    # HTTP --------------------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict, headers, body: bytes) -> tuple[int, dict | None]:
        if path == "/token":
            return self._token(parse_qs(body.decode()))
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.access:
            return 401, _error(401, "Request had invalid authentication credentials.", "authError", "UNAUTHENTICATED")
        self.log.append((method, path, query))
        parts = [unquote(p) for p in path.split("/") if p]
        if parts[:2] != ["calendar", "v3"]:
            return 404, _error(404, "Not Found", "notFound")
        parts = parts[2:]
        if parts == ["users", "me", "calendarList"] and method == "GET":
            items = [
                {
                    "kind": "calendar#calendarListEntry",
                    "id": cid,
                    "summary": c["summary"],
                    "accessRole": c["accessRole"],
                    "timeZone": "Europe/Berlin",
                    **({"primary": True} if c["primary"] else {}),
                }
                for cid, c in self.calendars.items()
            ]
            return 200, {"kind": "calendar#calendarList", "etag": '"p1"', "nextSyncToken": "cl1", "items": items}
        if len(parts) >= 3 and parts[0] == "calendars" and parts[2] == "events":
            cal_id = parts[1]
            if cal_id not in self.calendars:
                return 404, _error(404, "Not Found", "notFound")
            rest = parts[3:]
            if not rest and method == "GET":
                return self._list(cal_id, query)
            if not rest and method == "POST":
                return self._insert(cal_id, json.loads(body))
            if rest == ["watch"] and method == "POST":
                req = json.loads(body)
                ch = {
                    "kind": "api#channel",
                    "id": req["id"],
                    "resourceId": "res-" + secrets.token_hex(6),
                    "resourceUri": f"https://www.googleapis.com/calendar/v3/calendars/{cal_id}/events",
                    "token": req.get("token", ""),
                    "expiration": "1774915200000",
                    "address": req["address"],
                }
                self.channels.append(ch)
                return 200, {k: v for k, v in ch.items() if k != "address"}
            if len(rest) == 1:
                ev = self.calendars[cal_id]["events"].get(rest[0])
                if method == "DELETE":
                    if ev is None or ev["status"] == "cancelled":
                        return 410, _error(410, "Resource has been deleted", "deleted")
                    self.cancel(cal_id, rest[0])
                    return 204, None
                if method == "PUT":
                    if ev is None:
                        return 404, _error(404, "Not Found", "notFound")
                    return 200, self.upsert(cal_id, {**json.loads(body), "id": rest[0]})
        return 404, _error(404, "Not Found", "notFound")

    def _token(self, form: dict) -> tuple[int, dict]:
        form = {k: v[0] for k, v in form.items()}
        self.token_calls.append(form)
        if form.get("client_id") != "slotwise-client" or form.get("client_secret") != "s3cret":
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        access = "ya29." + secrets.token_urlsafe(16)
        if form.get("grant_type") == "authorization_code":
            if self.codes.pop(form.get("code", ""), None) != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
            refresh = "1//" + secrets.token_urlsafe(16)
            self.refresh.add(refresh)
            self.access.add(access)
            return 200, {
                "access_token": access,
                "expires_in": 3599,
                "refresh_token": refresh,
                "scope": "https://www.googleapis.com/auth/calendar",
                "token_type": "Bearer",
            }
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh:
                return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            self.access.add(access)
            return 200, {
                "access_token": access,
                "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/calendar",
                "token_type": "Bearer",
            }
        return 400, {"error": "unsupported_grant_type"}

    def _list(self, cal_id: str, q: dict) -> tuple[int, dict]:
        cal = self.calendars[cal_id]
        token = q.get("syncToken")
        if token in self.invalid_sync_tokens:
            return 410, _error(410, "Sync token is no longer valid, a full sync is required.", "fullSyncRequired")
        since = int(token.split(":")[1]) if token else 0
        changed = sorted({eid for n, eid in cal["changes"] if n > since})
        items = [cal["events"][e] for e in changed]
        if not token and q.get("showDeleted") != "true":
            items = [e for e in items if e["status"] != "cancelled"]
        offset = int(q.get("pageToken", "0"))
        page = items[offset : offset + self.page_size]
        out = {"kind": "calendar#events", "summary": cal["summary"], "timeZone": "Europe/Berlin", "items": page}
        if offset + self.page_size < len(items):
            out["nextPageToken"] = str(offset + self.page_size)
        else:
            last = max((n for n, _ in cal["changes"]), default=0)
            out["nextSyncToken"] = f"{cal_id}:{last}"
        return 200, out

    def _insert(self, cal_id: str, body: dict) -> tuple[int, dict]:
        if body.get("id") in self.calendars[cal_id]["events"]:
            return 409, _error(409, "The requested identifier already exists.", "duplicate")
        body.setdefault("id", secrets.token_hex(10))
        return 200, self.upsert(cal_id, body)


def serve(fake) -> ThreadingHTTPServer:
    """Serve `fake.handle(method, path, query, headers, body)` on 127.0.0.1. It answers (status, json) or
    (status, json, extra headers). Shared by the Google and Microsoft Graph fakes."""

    class Handler(BaseHTTPRequestHandler):
        def _do(self):
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, data, *extra = fake.handle(self.command, url.path, query, self.headers, body)
            payload = json.dumps(data).encode() if data is not None else b""
            self.send_response(status)
            for name, value in (extra[0] if extra else {}).items():
                self.send_header(name, value)
            if data is not None:
                self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _do

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
