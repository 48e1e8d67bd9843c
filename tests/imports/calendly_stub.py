"""A small local stand-in for Calendly's API v2 and OAuth endpoints, from the documented shapes
(calendly-v2.md: User, Organization, OrganizationMembership, EventType, Event, Invitee, collections with
the five pagination keys, errors {"title", "message"}; OAuth: /oauth/token with authorization_code + PKCE
and rotating refresh tokens, /oauth/revoke).

Written for the connection layer's tests until engineer "e2e"'s tests/imports/calendly_fake.py lands;
only what those tests use. Controls: add users / event types / events / invitees, set the plan and stage,
make the next N calls fail with a status (429 with Retry-After, 500), revoke a token, refuse webhooks."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import threading
import uuid as uuidlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

STAMP = "2026-01-05T09:00:00.000000Z"


def _err(status: int, title: str, message: str) -> tuple[int, dict]:
    return status, {"title": title, "message": message}


class CalendlyStub:
    client_id = "slotwise-calendly"
    client_secret = "calendly-s3cret"

    def __init__(self):
        self.base = ""  # set by serve(): http://127.0.0.1:PORT
        self.lock = threading.Lock()
        self.users: dict[str, dict] = {}  # uri -> User
        self.tokens: dict[str, str] = {}  # access token -> user uri
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> user uri
        self.codes: dict[str, dict] = {}  # code -> {user, redirect_uri, challenge}
        self.orgs: dict[str, dict] = {}
        self.memberships: list[dict] = []
        self.event_types: list[dict] = []
        self.hosts: dict[str, list[str]] = {}  # event type uri -> user uris (owner and pool members)
        self.events: list[dict] = []
        self.invitees: dict[str, list[dict]] = {}
        self.webhooks: list[dict] = []
        self.failures: list[tuple[int, dict]] = []  # (status, headers) for the next calls, in order
        self.webhooks_refused: tuple[int, str] | None = None
        self.page_size = 100
        self.calls: list[tuple[str, str]] = []
        self.token_calls: list[dict] = []
        self.seq = itertools.count(1)

    # ---- what happens on Calendly's side ---------------------------------------------------------------
    def org(self, *, plan="teams", stage="paid") -> str:
        uri = f"{self.base}/organizations/{uuidlib.uuid4()}"
        self.orgs[uri] = {"uri": uri, "plan": plan, "stage": stage, "created_at": STAMP, "updated_at": STAMP}
        return uri

    def set_plan(self, org: str, *, plan: str, stage: str) -> None:
        self.orgs[org].update(plan=plan, stage=stage)

    def user(self, name: str, email: str, *, org: str, role: str = "user") -> str:
        uri = f"{self.base}/users/{uuidlib.uuid4()}"
        slug = email.split("@")[0]
        self.users[uri] = {
            "uri": uri,
            "name": name,
            "slug": slug,
            "email": email,
            "scheduling_url": f"https://calendly.com/{slug}",
            "timezone": "Europe/Berlin",
            "avatar_url": None,
            "created_at": STAMP,
            "updated_at": STAMP,
            "current_organization": org,
        }
        self.memberships.append(
            {
                "uri": f"{self.base}/organization_memberships/{uuidlib.uuid4()}",
                "role": role,
                "user": self.users[uri],
                "organization": org,
                "created_at": STAMP,
                "updated_at": STAMP,
            }
        )
        return uri

    def token_for(self, user: str) -> str:
        token = "pat_" + secrets.token_urlsafe(12)
        self.tokens[token] = user
        return token

    def grant(self, user: str) -> tuple[str, str]:
        """An OAuth access and refresh token for `user`, as a finished authorization would leave them."""
        access, refresh = "acc_" + secrets.token_urlsafe(12), "ref_" + secrets.token_urlsafe(12)
        self.tokens[access] = user
        self.refresh_tokens[refresh] = user
        return access, refresh

    def revoke(self, token: str) -> None:
        self.tokens.pop(token, None)
        self.refresh_tokens.pop(token, None)

    def revoke_user(self, user: str) -> None:
        for table in (self.tokens, self.refresh_tokens):
            for t in [t for t, u in table.items() if u == user]:
                del table[t]

    def event_type(
        self, name: str, *, owner: str, members: list[str] = (), pooling_type=None, kind="solo", team: str | None = None
    ) -> str:
        uri = f"{self.base}/event_types/{uuidlib.uuid4()}"
        slug = name.lower().replace(" ", "-")
        description = {"round_robin": "Round Robin", "collective": "Collective"}.get(
            pooling_type, "Group" if kind == "group" else "One-on-One"
        )
        self.event_types.append(
            {
                "uri": uri,
                "name": name,
                "active": True,
                "slug": slug,
                "scheduling_url": f"https://calendly.com/{slug}",
                "duration": 30,
                "kind": kind,
                "pooling_type": pooling_type,
                "type": "StandardEventType",
                "color": "#8247f5",
                "created_at": STAMP,
                "updated_at": STAMP,
                "internal_note": None,
                "description_plain": None,
                "description_html": None,
                "profile": {
                    "type": "Team" if team else "User",
                    "name": team or self.users[owner]["name"],
                    "owner": team or owner,
                },
                "secret": False,
                "booking_method": "instant",
                "custom_questions": [],
                "deleted_at": None,
                "kind_description": description,
                "admin_managed": False,
            }
        )
        self.hosts[uri] = [owner, *members]
        return uri

    def remove_event_type(self, uri: str) -> None:
        self.event_types = [e for e in self.event_types if e["uri"] != uri]

    def fail_next(self, n: int, status: int, headers: dict | None = None) -> None:
        self.failures.extend([(status, headers or {})] * n)

    # ---- HTTP ----------------------------------------------------------------------------------------
    def handle(self, method: str, url: str, headers, body: bytes) -> tuple[int, dict | None, dict]:
        parts = urlsplit(url)
        path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.calls.append((method, path))
            if path.startswith("/oauth/"):
                return (*self._oauth(path, parse_qs(body.decode())), {})
            if self.failures:
                status, extra = self.failures.pop(0)
                return (
                    status,
                    {
                        "title": "Too Many Requests" if status == 429 else "Internal Server Error",
                        "message": "stub failure",
                    },
                    extra,
                )
            auth = headers.get("Authorization", "")
            user = self.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
            if user is None:
                return (*_err(401, "Unauthenticated", "The access token is invalid"), {})
            return (*self._api(method, path, query, body, user), {})

    def _oauth(self, path: str, form: dict) -> tuple[int, dict]:
        form = {k: v[0] for k, v in form.items()}
        self.token_calls.append(form)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        if path == "/oauth/revoke":
            self.revoke(form.get("token", ""))
            return 200, {}
        grant = form.get("grant_type")
        if grant == "authorization_code":
            issued = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if not issued or issued["redirect_uri"] != form.get("redirect_uri") or issued["challenge"] != digest:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "The provided authorization grant is invalid",
                }
            user = issued["user"]
        elif grant == "refresh_token":
            user = self.refresh_tokens.pop(form.get("refresh_token", ""), None)  # rotation: used once
            if user is None:
                return 400, {"error": "invalid_grant", "error_description": "The refresh token is invalid"}
        else:
            return 400, {"error": "unsupported_grant_type"}
        access, refresh = self.grant(user)
        return 200, {
            "token_type": "Bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": 7200,
            "scope": "default",
            "created_at": 1767603600,
            "owner": user,
            "organization": self.users[user]["current_organization"],
        }

    def authorize(self, query: dict, user: str) -> str:
        """What the user's "Allow" on Calendly's consent page does: a code for the redirect."""
        code = "code_" + secrets.token_urlsafe(8)
        self.codes[code] = {"user": user, "redirect_uri": query["redirect_uri"], "challenge": query["code_challenge"]}
        return code

    def _page(self, path: str, query: dict, items: list[dict]) -> tuple[int, dict]:
        count = min(int(query.get("count", 20)), self.page_size)
        offset = int(query.get("page_token", "0"))
        page = items[offset : offset + count]
        nxt = None
        if offset + count < len(items):
            nxt = f"{self.base}{path}?{urlencode({**query, 'page_token': str(offset + count)})}"
        return 200, {
            "collection": page,
            "pagination": {
                "count": len(page),
                "next_page": nxt,
                "previous_page": None,
                "next_page_token": str(offset + count) if nxt else None,
                "previous_page_token": None,
            },
        }

    def _api(self, method: str, path: str, query: dict, body: bytes, me: str) -> tuple[int, dict | None]:
        if method == "GET" and path == "/users/me":
            return 200, {"resource": self.users[me]}
        if method == "GET" and path.startswith("/organizations/"):
            org = self.orgs.get(f"{self.base}{path}")
            return (200, {"resource": org}) if org else _err(404, "Resource Not Found", "No such organization")
        if method == "GET" and path == "/event_types":
            if "user" in query:
                items = [e for e in self.event_types if query["user"] in self.hosts[e["uri"]]]
            else:
                items = list(self.event_types)
            return self._page(path, query, items)
        if method == "GET" and path == "/organization_memberships":
            items = [
                m
                for m in self.memberships
                if m["organization"] == query.get("organization")
                and ("user" not in query or m["user"]["uri"] == query["user"])
            ]
            return self._page(path, query, items)
        if method == "POST" and path == "/webhook_subscriptions":
            if self.webhooks_refused:
                return _err(self.webhooks_refused[0], "Permission Denied", self.webhooks_refused[1])
            req = json.loads(body)
            if any(w["callback_url"] == req["url"] for w in self.webhooks):
                return _err(409, "Already Exists", "Hook with this url already exists")
            hook = {
                "uri": f"{self.base}/webhook_subscriptions/{uuidlib.uuid4()}",
                "callback_url": req["url"],
                "created_at": STAMP,
                "updated_at": STAMP,
                "retry_started_at": None,
                "state": "active",
                "events": req["events"],
                "scope": req["scope"],
                "organization": req["organization"],
                "user": req.get("user"),
                "creator": me,
                "signing_key": req.get("signing_key"),
            }
            self.webhooks.append(hook)
            return 201, {"resource": {k: v for k, v in hook.items() if k != "signing_key"}}
        if method == "GET" and path == "/webhook_subscriptions":
            items = [
                {k: v for k, v in w.items() if k != "signing_key"}
                for w in self.webhooks
                if w["organization"] == query.get("organization") and w["scope"] == query.get("scope")
            ]
            return self._page(path, query, items)
        if method == "DELETE" and path.startswith("/webhook_subscriptions/"):
            uri = f"{self.base}{path}"
            if not any(w["uri"] == uri for w in self.webhooks):
                return _err(404, "Resource Not Found", "No such webhook subscription")
            self.webhooks = [w for w in self.webhooks if w["uri"] != uri]
            return 204, None
        if method == "GET" and path == "/scheduled_events":
            items = [e for e in self.events if query.get("user") in [m["user"] for m in e["event_memberships"]]]
            return self._page(path, query, items)
        if method == "GET" and path.startswith("/scheduled_events/") and path.endswith("/invitees"):
            uri = f"{self.base}{path[: -len('/invitees')]}"
            return self._page(path, query, self.invitees.get(uri, []))
        if method == "GET" and path.startswith("/scheduled_events/"):
            found = [e for e in self.events if e["uri"] == f"{self.base}{path}"]
            return (200, {"resource": found[0]}) if found else _err(404, "Resource Not Found", "No such event")
        return _err(404, "Resource Not Found", f"No route {method} {path}")


def serve(stub: CalendlyStub) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, data, extra = stub.handle(self.command, self.path, self.headers, body)
            payload = b"" if data is None else json.dumps(data).encode()
            self.send_response(status)
            for k, v in extra.items():
                self.send_header(k, v)
            if data is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.base = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
