"""A local stand-in for Calendly, built from Calendly's documented shapes (API v2 resources and collections as in
../shared/reference/calendly-v2.md; OAuth 2 with PKCE at /oauth/authorize, /oauth/token with single-use refresh
tokens, /oauth/revoke, /oauth/introspect; webhooks signed `Calendly-Webhook-Signature: t=<unix>,v1=<hex
HMAC-SHA256(signing_key, "<t>.<body>")>`). Served on 127.0.0.1 from a thread, for tests and the import bench.

One server plays both hosts: the API at `fake.api_base` (Calendly: https://api.calendly.com) and OAuth at
`fake.auth_base` (https://auth.calendly.com). Resource URIs are absolute URLs on `api_base`, as Calendly's are.

Controls, all plain method calls from the test's thread:
    org = fake.add_organization(plan="teams", stage="paid")      # -> organization uri
    ana = fake.add_user(name=..., email=..., organization=org, role="owner")   # -> User resource (dict)
    token = fake.personal_access_token(ana["uri"])
    et = fake.add_event_type(name=..., owner=ana["uri"], hosts=[...], pooling_type="round_robin")
    event, invitees = fake.book(event_type=et["uri"], start=..., invitees=[{"name", "email", ...}], host=...)
    fake.cancel(event["uri"], reason=..., canceler_type="invitee")
    new_event, new_invitee = fake.reschedule(invitee_uri, start=...)
    fake.set_plan(org, plan="basic", stage="free");  fake.remove_event_type(uri);  fake.revoke(token)
    fake.fail_next(2, status=429, retry_after=30);  fake.fail_next(1, status=500)
    fake.flush_webhooks()  # POSTs the queued, signed deliveries to their subscriptions' URLs
    fake.signed(body, signing_key, t) / fake.send_webhook(url, envelope, signing_key)
`fake.now` is the fake's clock (created_at, updated_at, token expiry, webhook timestamps): set it, never sleep.
Webhooks are queued (fake.outbox) rather than sent from inside book/cancel, so a test decides when they arrive;
`fake.auto_deliver = True` sends them at once instead.
"""

import base64
import hashlib
import hmac
import json
import secrets
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

ACCESS_TOKEN_SECONDS = 7200  # Calendly: "Access tokens expire after 2 hours"
WEBHOOK_EVENTS = (
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
    "routing_form_submission.created",
)
PAID_PLANS_WITH_WEBHOOKS = ("standard", "essentials", "professional", "teams", "enterprise")


def ts(dt: datetime | None) -> str | None:
    """Calendly writes UTC with microseconds and a Z."""
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def signature(signing_key: str, body: str, t: int) -> str:
    mac = hmac.new(signing_key.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _uuid() -> str:
    return uuid.uuid4().hex.upper()[:16]


@dataclass
class Token:
    value: str
    user: str  # user uri
    kind: str  # "pat" | "oauth"
    expires_at: datetime | None = None
    revoked: bool = False


@dataclass
class Delivery:
    url: str
    body: str
    signing_key: str | None
    event: str
    status: int | None = None
    answer: str = ""


@dataclass
class Failure:
    status: int
    retry_after: int | None = None


@dataclass
class Store:
    users: dict = field(default_factory=dict)  # uri -> User
    organizations: dict = field(default_factory=dict)  # uri -> Organization
    memberships: dict = field(default_factory=dict)  # uri -> OrganizationMembership
    event_types: dict = field(default_factory=dict)  # uri -> EventType (+ "_hosts")
    events: dict = field(default_factory=dict)  # uri -> Event
    invitees: dict = field(default_factory=dict)  # uri -> Invitee
    webhooks: dict = field(default_factory=dict)  # uri -> WebhookSubscription (+ "_signing_key")


class FakeCalendly:
    def __init__(
        self,
        *,
        client_id: str = "fake-calendly-client",
        client_secret: str = "fake-calendly-secret",
        now: datetime | None = None,
    ):
        self.client_id, self.client_secret = client_id, client_secret
        self.now = now or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        self.store = Store()
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> user uri (single use)
        self.codes: dict[str, dict] = {}  # authorization code -> {user, redirect_uri, challenge, method}
        self.authorizing_user: str | None = None  # who "signs in" at /oauth/authorize
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, query) in arrival order
        self.failures: list[Failure] = []
        self.outbox: list[Delivery] = []
        self.sent: list[Delivery] = []
        self.auto_deliver = False
        self.webhooks_refused: str | None = None  # a reason: subscribing answers 403 with it
        self._lock = threading.RLock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ---- life --------------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_base(self) -> str:
        return self.base

    @property
    def auth_base(self) -> str:
        return self.base

    def start(self) -> "FakeCalendly":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def advance(self, **delta) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now

    def uri(self, kind: str, ident: str) -> str:
        return f"{self.api_base}/{kind}/{ident}"

    # ---- accounts ----------------------------------------------------------------------------------

    def add_organization(self, *, plan: str = "teams", stage: str = "paid") -> str:
        uri = self.uri("organizations", _uuid())
        with self._lock:
            self.store.organizations[uri] = {
                "uri": uri,
                "plan": plan,
                "stage": stage,
                "created_at": ts(self.now),
                "updated_at": ts(self.now),
            }
        return uri

    def set_plan(self, organization: str, *, plan: str, stage: str) -> None:
        """A trial ending on the free plan is set_plan(org, plan="basic", stage="free")."""
        with self._lock:
            org = self.store.organizations[organization]
            org.update(plan=plan, stage=stage, updated_at=ts(self.now))

    def add_user(
        self,
        *,
        name: str,
        email: str,
        organization: str | None = None,
        role: str = "user",
        timezone: str = "UTC",
        slug: str | None = None,
    ) -> dict:
        organization = organization or self.add_organization()
        ident = _uuid()
        uri = self.uri("users", ident)
        slug = slug or email.split("@")[0].replace(".", "-")
        user = {
            "uri": uri,
            "name": name,
            "slug": slug,
            "email": email,
            "scheduling_url": f"https://calendly.com/{slug}",
            "timezone": timezone,
            "avatar_url": None,
            "created_at": ts(self.now),
            "updated_at": ts(self.now),
            "current_organization": organization,
            "resource_type": "User",
            "locale": "en",
        }
        membership_uri = self.uri("organization_memberships", _uuid())
        with self._lock:
            self.store.users[uri] = user
            self.store.memberships[membership_uri] = {
                "uri": membership_uri,
                "role": role,
                "organization": organization,
                "user": {
                    k: user[k]
                    for k in (
                        "uri",
                        "name",
                        "slug",
                        "email",
                        "scheduling_url",
                        "timezone",
                        "avatar_url",
                        "created_at",
                        "updated_at",
                    )
                },
                "created_at": ts(self.now),
                "updated_at": ts(self.now),
            }
        return dict(user)

    def personal_access_token(self, user: str) -> str:
        value = "pat_" + secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[value] = Token(value, user, "pat")
        return value

    def oauth_grant(self, user: str) -> dict:
        """What POST /oauth/token answers for `user` (also usable directly by tests)."""
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._lock:
            self.tokens[access] = Token(access, user, "oauth", self.now + timedelta(seconds=ACCESS_TOKEN_SECONDS))
            self.refresh_tokens[refresh] = user
        return {
            "token_type": "Bearer",
            "access_token": access,
            "refresh_token": refresh,
            "scope": "default",
            "created_at": int(self.now.timestamp()),
            "expires_in": ACCESS_TOKEN_SECONDS,
            "owner": user,
            "organization": self.store.users[user]["current_organization"],
        }

    def revoke(self, token: str) -> None:
        """The user revoked access (or the token was deleted in Calendly's integrations page)."""
        with self._lock:
            if token in self.tokens:
                self.tokens[token].revoked = True
            user = self.refresh_tokens.pop(token, None)
            if user and token not in self.tokens:
                for t in self.tokens.values():
                    if t.user == user and t.kind == "oauth":
                        t.revoked = True

    def revoke_user(self, user: str) -> None:
        """Every token of `user` stops working (the app was disconnected in Calendly)."""
        with self._lock:
            for t in self.tokens.values():
                if t.user == user:
                    t.revoked = True
            for r in [r for r, u in self.refresh_tokens.items() if u == user]:
                del self.refresh_tokens[r]

    def expire_access_tokens(self) -> None:
        with self._lock:
            for t in self.tokens.values():
                if t.kind == "oauth":
                    t.expires_at = self.now - timedelta(seconds=1)

    # ---- event types -------------------------------------------------------------------------------

    def add_event_type(
        self,
        *,
        name: str,
        owner: str,
        hosts: list[str] | None = None,
        pooling_type: str | None = None,
        kind: str = "solo",
        duration: int = 30,
        slug: str | None = None,
        custom_questions: list[dict] | None = None,
        active: bool = True,
    ) -> dict:
        """`owner`: a user uri (personal) ; `hosts`: the pool for a shared event type (round_robin, collective),
        or the co-hosts of a group. The profile of a shared event type is the owner's organization's Team."""
        hosts = list(hosts or [owner])
        ident = _uuid()
        uri = self.uri("event_types", ident)
        slug = slug or name.lower().replace(" ", "-")
        owner_user = self.store.users[owner]
        shared = pooling_type is not None
        if pooling_type == "collective":
            kind_description = "Collective"
        elif pooling_type == "round_robin":
            kind_description = "Round Robin"
        else:
            kind_description = "Group" if kind == "group" else "One-on-One"
        profile = (
            {"type": "Team", "name": f"{owner_user['name']}'s team", "owner": owner_user["current_organization"]}
            if shared
            else {"type": "User", "name": owner_user["name"], "owner": owner}
        )
        et = {
            "uri": uri,
            "name": name,
            "active": active,
            "slug": slug,
            "scheduling_url": f"https://calendly.com/{owner_user['slug']}/{slug}",
            "duration": duration,
            "kind": kind,
            "pooling_type": pooling_type,
            "type": "StandardEventType",
            "color": "#0069ff",
            "created_at": ts(self.now),
            "updated_at": ts(self.now),
            "internal_note": None,
            "description_plain": None,
            "description_html": None,
            "profile": profile,
            "secret": False,
            "booking_method": "instant",
            "custom_questions": custom_questions or [],
            "deleted_at": None,
            "kind_description": kind_description,
            "admin_managed": False,
            "_hosts": hosts,
            "_organization": owner_user["current_organization"],
            "_removed": False,
        }
        with self._lock:
            self.store.event_types[uri] = et
        return _public(et)

    def remove_event_type(self, uri: str) -> None:
        """Deleted in Calendly: gone from listings; fetching it shows deleted_at."""
        with self._lock:
            et = self.store.event_types[uri]
            et.update(_removed=True, active=False, deleted_at=ts(self.now), updated_at=ts(self.now))

    def set_hosts(self, uri: str, hosts: list[str]) -> None:
        with self._lock:
            self.store.event_types[uri]["_hosts"] = list(hosts)

    # ---- scheduled events and invitees -------------------------------------------------------------

    def book(
        self,
        *,
        event_type: str,
        start: datetime,
        invitees: list[dict],
        host: str | None = None,
        location: dict | None = None,
        created_at: datetime | None = None,
    ) -> tuple[dict, list[dict]]:
        """A booking made on Calendly. `invitees`: dicts with name, email (may be None: Calendly lets a host
        add one without), and optionally first_name, last_name, timezone, text_reminder_number,
        questions_and_answers [{question, answer, position}]. `host`: the assigned host (round robin); a
        collective event has every pool member. Queues invitee.created for each invitee."""
        with self._lock:
            et = self.store.event_types[event_type]
            if et["pooling_type"] == "collective":
                members = list(et["_hosts"])
            else:
                members = [host or et["_hosts"][0]]
            event = self._event(et, start, members, location, created_at or self.now)
            created = [self._invitee(event, i, created_at or self.now) for i in invitees]
            self._counter(event)
        for inv in created:
            self._publish("invitee.created", inv)
        return dict(event), [dict(i) for i in created]

    def _event(
        self, et: dict, start: datetime, members: list[str], location: dict | None, created_at: datetime
    ) -> dict:
        uri = self.uri("scheduled_events", _uuid())
        end = start + timedelta(minutes=et["duration"])
        event = {
            "uri": uri,
            "name": et["name"],
            "meeting_notes_plain": None,
            "meeting_notes_html": None,
            "status": "active",
            "start_time": ts(start),
            "end_time": ts(end),
            "event_type": et["uri"],
            "location": location or {"type": "physical", "location": "Main office", "additional_info": None},
            "invitees_counter": {"total": 0, "active": 0, "limit": 1 if et["kind"] == "solo" else 10},
            "created_at": ts(created_at),
            "updated_at": ts(created_at),
            "event_memberships": [
                {
                    "user": m,
                    "user_email": self.store.users[m]["email"],
                    "user_name": self.store.users[m]["name"],
                    "buffered_start_time": ts(start),
                    "buffered_end_time": ts(end),
                }
                for m in members
            ],
            "event_guests": [],
            "calendar_event": None,
            "_organization": et["_organization"],
        }
        self.store.events[uri] = event
        return event

    def _invitee(self, event: dict, spec: dict, created_at: datetime) -> dict:
        ident = _uuid()
        uri = f"{event['uri']}/invitees/{ident}"
        name = spec.get("name") or " ".join(p for p in (spec.get("first_name"), spec.get("last_name")) if p)
        inv = {
            "uri": uri,
            "email": spec.get("email"),
            "first_name": spec.get("first_name"),
            "last_name": spec.get("last_name"),
            "name": name,
            "status": "active",
            "questions_and_answers": list(spec.get("questions_and_answers") or []),
            "timezone": spec.get("timezone", "UTC"),
            "event": event["uri"],
            "created_at": ts(created_at),
            "updated_at": ts(created_at),
            "tracking": {
                "utm_campaign": None,
                "utm_source": None,
                "utm_medium": None,
                "utm_content": None,
                "utm_term": None,
                "salesforce_uuid": None,
            },
            "text_reminder_number": spec.get("text_reminder_number"),
            "rescheduled": False,
            "old_invitee": spec.get("old_invitee"),
            "new_invitee": None,
            "cancel_url": f"https://calendly.com/cancellations/{ident}",
            "reschedule_url": f"https://calendly.com/reschedulings/{ident}",
            "routing_form_submission": None,
            "payment": None,
            "no_show": None,
            "reconfirmation": None,
            "scheduling_method": None,
            "invitee_scheduled_by": None,
        }
        self.store.invitees[uri] = inv
        return inv

    def _counter(self, event: dict) -> None:
        mine = [i for i in self.store.invitees.values() if i["event"] == event["uri"]]
        event["invitees_counter"].update(total=len(mine), active=sum(i["status"] == "active" for i in mine))

    def cancel(
        self, event_uri: str, *, reason: str = "", canceler_type: str = "host", canceled_by: str | None = None
    ) -> dict:
        """The whole event canceled in Calendly: every active invitee canceled; queues invitee.canceled each."""
        with self._lock:
            event = self.store.events[event_uri]
            by = canceled_by or (event["event_memberships"][0]["user_name"] if canceler_type == "host" else "")
            cancellation = {
                "canceled_by": by,
                "reason": reason or None,
                "canceler_type": canceler_type,
                "created_at": ts(self.now),
            }
            event.update(status="canceled", cancellation=cancellation, updated_at=ts(self.now))
            changed = []
            for inv in self.store.invitees.values():
                if inv["event"] == event_uri and inv["status"] == "active":
                    inv.update(status="canceled", cancellation=cancellation, updated_at=ts(self.now))
                    changed.append(inv)
            self._counter(event)
        for inv in changed:
            self._publish("invitee.canceled", inv)
        return dict(event)

    def cancel_invitee(self, invitee_uri: str, *, reason: str = "", canceler_type: str = "invitee") -> dict:
        """One invitee of a group event leaves; the event stays while others remain."""
        with self._lock:
            inv = self.store.invitees[invitee_uri]
            event = self.store.events[inv["event"]]
            cancellation = {
                "canceled_by": inv["name"] if canceler_type == "invitee" else "",
                "reason": reason or None,
                "canceler_type": canceler_type,
                "created_at": ts(self.now),
            }
            inv.update(status="canceled", cancellation=cancellation, updated_at=ts(self.now))
            self._counter(event)
            if event["invitees_counter"]["active"] == 0:
                event.update(status="canceled", cancellation=cancellation, updated_at=ts(self.now))
        self._publish("invitee.canceled", inv)
        return dict(inv)

    def reschedule(self, invitee_uri: str, *, start: datetime, host: str | None = None) -> tuple[dict, dict]:
        """Calendly's reschedule: the old invitee is canceled with rescheduled=true and new_invitee set, the old
        event is canceled, a new event is created with a new invitee whose old_invitee points back. Queues
        invitee.canceled (old) then invitee.created (new)."""
        with self._lock:
            old = self.store.invitees[invitee_uri]
            old_event = self.store.events[old["event"]]
            et = self.store.event_types[old_event["event_type"]]
            members = [m["user"] for m in old_event["event_memberships"]]
            if host:
                members = [host]
            new_event = self._event(et, start, members, old_event["location"], self.now)
            spec = {
                k: old[k]
                for k in (
                    "name",
                    "email",
                    "first_name",
                    "last_name",
                    "timezone",
                    "text_reminder_number",
                    "questions_and_answers",
                )
            }
            new = self._invitee(new_event, {**spec, "old_invitee": old["uri"]}, self.now)
            cancellation = {
                "canceled_by": old["name"],
                "reason": "Rescheduled",
                "canceler_type": "invitee",
                "created_at": ts(self.now),
            }
            old.update(
                status="canceled",
                rescheduled=True,
                new_invitee=new["uri"],
                cancellation=cancellation,
                updated_at=ts(self.now),
            )
            self._counter(old_event)
            self._counter(new_event)
            if old_event["invitees_counter"]["active"] == 0:
                old_event.update(status="canceled", cancellation=cancellation, updated_at=ts(self.now))
        self._publish("invitee.canceled", old)
        self._publish("invitee.created", new)
        return dict(new_event), dict(new)

    def event(self, uri: str) -> dict:
        return _public(self.store.events[uri])

    # ---- failures ----------------------------------------------------------------------------------

    def fail_next(self, n: int = 1, *, status: int = 429, retry_after: int | None = 60) -> None:
        """The next `n` API calls (not OAuth) answer `status`; a 429 carries Retry-After (seconds) and
        X-RateLimit-Reset as Calendly's does."""
        with self._lock:
            self.failures.extend(Failure(status, retry_after if status == 429 else None) for _ in range(n))

    # ---- webhooks ----------------------------------------------------------------------------------

    def envelope(self, event: str, invitee: dict, *, created_by: str | None = None) -> str:
        """Calendly's webhook body: {"created_at", "created_by", "event", "payload"}; the payload of invitee.*
        is the Invitee resource with the Scheduled Event embedded as "scheduled_event"."""
        payload = {**_public(invitee), "scheduled_event": _public(self.store.events[invitee["event"]])}
        return json.dumps(
            {"created_at": ts(self.now), "created_by": created_by, "event": event, "payload": payload},
            separators=(",", ":"),
        )

    def signed(self, body: str, signing_key: str, t: int | None = None) -> dict:
        """The headers Calendly sends with `body`."""
        t = int(self.now.timestamp()) if t is None else t
        return {"Content-Type": "application/json", "Calendly-Webhook-Signature": signature(signing_key, body, t)}

    def _publish(self, event: str, invitee: dict) -> None:
        inv_event = self.store.events[invitee["event"]]
        hosts = {m["user"] for m in inv_event["event_memberships"]}
        with self._lock:
            subs = [
                s
                for s in self.store.webhooks.values()
                if s["state"] == "active"
                and event in s["events"]
                and s["organization"] == inv_event["_organization"]
                and (s["scope"] == "organization" or s["user"] in hosts)
            ]
            for sub in subs:
                self.outbox.append(
                    Delivery(
                        sub["callback_url"],
                        self.envelope(event, invitee, created_by=sub["creator"]),
                        sub["_signing_key"],
                        event,
                    )
                )
        if self.auto_deliver:
            self.flush_webhooks()

    def flush_webhooks(self) -> list[Delivery]:
        """Send every queued delivery, in order; returns them with the receiver's status."""
        with self._lock:
            batch, self.outbox = self.outbox, []
        for d in batch:
            d.status, d.answer = self.send_webhook(d.url, d.body, d.signing_key)
            self.sent.append(d)
        return batch

    def send_webhook(
        self, url: str, body: str, signing_key: str | None, *, t: int | None = None, headers: dict | None = None
    ) -> tuple[int, str]:
        """POST one webhook body to `url`, signed with `signing_key` (None: unsigned). Returns (status, answer)."""
        hdrs = self.signed(body, signing_key, t) if signing_key else {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        req = urllib.request.Request(url, data=body.encode(), headers=hdrs, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - 127.0.0.1 in tests
                return resp.status, resp.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    # ---- the HTTP side -----------------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._dispatch("GET")

            def do_POST(self):
                self._dispatch("POST")

            def do_DELETE(self):
                self._dispatch("DELETE")

            def _send(self, status: int, body=None, headers: dict | None = None):
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                if body is not None:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                for k, v in (headers or {}).items():
                    self.send_header(k, str(v))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _raw_body(self) -> bytes:
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _error(self, status: int, title: str, message: str, details=None, headers=None):
                body = {"title": title, "message": message}
                if details:
                    body["details"] = details
                self._send(status, body, headers)

            def _dispatch(self, method: str):
                url = urlparse(self.path)
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                raw = self._raw_body()
                with fake._lock:
                    fake.requests.append((method, url.path, query))
                try:
                    if url.path.startswith("/oauth/"):
                        return self._oauth(method, url.path, query, raw)
                    with fake._lock:
                        failure = fake.failures.pop(0) if fake.failures else None
                    if failure:
                        return self._fail(failure)
                    token = self._token()
                    if token is None:
                        return self._error(401, "Unauthenticated", "The access token is invalid")
                    return self._api(method, url.path.rstrip("/"), query, raw, token)
                except (ValueError, KeyError) as e:
                    return self._error(400, "Invalid Argument", f"The supplied parameters are invalid: {e}")

            def _fail(self, failure: Failure):
                if failure.status == 429:
                    return self._error(
                        429,
                        "Too Many Requests",
                        "You have exceeded the rate limit",
                        headers={
                            "Retry-After": failure.retry_after,
                            "X-RateLimit-Limit": 100,
                            "X-RateLimit-Remaining": 0,
                            "X-RateLimit-Reset": failure.retry_after,
                        },
                    )
                if failure.status == 401:
                    return self._error(401, "Unauthenticated", "The access token is invalid")
                return self._error(failure.status, "Internal Server Error", "An unexpected error occurred")

            def _token(self) -> Token | None:
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer "):
                    return None
                with fake._lock:
                    token = fake.tokens.get(auth[7:])
                if token is None or token.revoked:
                    return None
                if token.expires_at is not None and token.expires_at <= fake.now:
                    return None
                return token

            # ---- OAuth ----

            def _client_ok(self, form: dict) -> bool:
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                else:
                    cid, secret = form.get("client_id"), form.get("client_secret")
                return cid == fake.client_id and (secret == fake.client_secret or secret is None)

            def _oauth(self, method: str, path: str, query: dict, raw: bytes):
                if path == "/oauth/authorize" and method == "GET":
                    return self._authorize(query)
                form = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
                if path == "/oauth/token" and method == "POST":
                    return self._token_grant(form)
                if path == "/oauth/revoke" and method == "POST":
                    if not self._client_ok(form):
                        return self._send(
                            401, {"error": "invalid_client", "error_description": "Client authentication failed"}
                        )
                    fake.revoke(form.get("token", ""))
                    return self._send(200, {})
                if path == "/oauth/introspect" and method == "POST":
                    if not self._client_ok(form):
                        return self._send(
                            401, {"error": "invalid_client", "error_description": "Client authentication failed"}
                        )
                    t = fake.tokens.get(form.get("token", ""))
                    if t is None or t.revoked:
                        return self._send(200, {"active": False})
                    return self._send(
                        200,
                        {
                            "active": True,
                            "scope": "default",
                            "client_id": fake.client_id,
                            "token_type": "Bearer",
                            "owner": t.user,
                            "exp": int(t.expires_at.timestamp()) if t.expires_at else None,
                        },
                    )
                return self._error(404, "Resource Not Found", "The server could not find the requested resource.")

            def _authorize(self, query: dict):
                """No login page: the user named by fake.authorizing_user (or ?login_hint= an email) grants
                access at once, and the browser is sent to redirect_uri with code and state."""
                if query.get("client_id") != fake.client_id or query.get("response_type") != "code":
                    return self._send(
                        400, {"error": "invalid_request", "error_description": "Unknown client or response_type"}
                    )
                user = fake.authorizing_user
                hint = query.get("login_hint")
                if hint:
                    user = next((u for u, d in fake.store.users.items() if d["email"] == hint), None)
                if user is None:
                    return self._send(400, {"error": "access_denied", "error_description": "No user signed in"})
                code = secrets.token_hex(32)
                with fake._lock:
                    fake.codes[code] = {
                        "user": user,
                        "redirect_uri": query.get("redirect_uri"),
                        "challenge": query.get("code_challenge"),
                        "method": query.get("code_challenge_method", "plain"),
                        "expires_at": fake.now + timedelta(minutes=10),
                    }
                params = {"code": code}
                if "state" in query:
                    params["state"] = query["state"]
                sep = "&" if "?" in (query.get("redirect_uri") or "") else "?"
                self._send(302, None, {"Location": f"{query.get('redirect_uri')}{sep}{urlencode(params)}"})

            def _token_grant(self, form: dict):
                def bad(error, description, status=400):
                    return self._send(status, {"error": error, "error_description": description})

                if not self._client_ok(form):
                    return bad("invalid_client", "Client authentication failed", 401)
                grant = form.get("grant_type")
                if grant == "authorization_code":
                    with fake._lock:
                        code = fake.codes.pop(form.get("code", ""), None)
                    if code is None or code["expires_at"] <= fake.now:
                        return bad("invalid_grant", "The provided authorization grant is invalid, expired, revoked")
                    if code["redirect_uri"] != form.get("redirect_uri"):
                        return bad("invalid_grant", "The redirect uri included is not valid.")
                    if code["challenge"]:
                        verifier = form.get("code_verifier") or ""
                        if code["method"] == "S256":
                            digest = hashlib.sha256(verifier.encode()).digest()
                            computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                        else:
                            computed = verifier
                        if not hmac.compare_digest(computed, code["challenge"]):
                            return bad("invalid_grant", "The code verifier is invalid")
                    return self._send(200, fake.oauth_grant(code["user"]))
                if grant == "refresh_token":
                    with fake._lock:
                        user = fake.refresh_tokens.pop(form.get("refresh_token", ""), None)  # single use
                    if user is None:
                        return bad("invalid_grant", "The provided authorization grant is invalid, expired, revoked")
                    return self._send(200, fake.oauth_grant(user))
                return bad("unsupported_grant_type", "The authorization grant type is not supported")

            # ---- API ----

            def _api(self, method: str, path: str, query: dict, raw: bytes, token: Token):
                s = fake.store
                parts = path.strip("/").split("/")
                if method == "GET" and path == "/users/me":
                    return self._resource(s.users[token.user])
                if (
                    method == "GET"
                    and len(parts) == 2
                    and parts[0]
                    in (
                        "users",
                        "organizations",
                        "event_types",
                        "scheduled_events",
                        "webhook_subscriptions",
                        "organization_memberships",
                    )
                ):
                    table = {
                        "users": s.users,
                        "organizations": s.organizations,
                        "event_types": s.event_types,
                        "scheduled_events": s.events,
                        "webhook_subscriptions": s.webhooks,
                        "organization_memberships": s.memberships,
                    }[parts[0]]
                    item = table.get(fake.uri(*parts))
                    if item is None or not self._may_see(token, item, parts[0]):
                        return self._not_found()
                    return self._resource(item)
                if method == "GET" and path == "/organization_memberships":
                    return self._memberships(query, token)
                if method == "GET" and path == "/event_types":
                    return self._event_types(query, token)
                if method == "GET" and path == "/scheduled_events":
                    return self._scheduled_events(query, token)
                if method == "GET" and len(parts) == 3 and parts[0] == "scheduled_events" and parts[2] == "invitees":
                    return self._invitees(fake.uri("scheduled_events", parts[1]), query, token)
                if method == "GET" and len(parts) == 4 and parts[0] == "scheduled_events" and parts[2] == "invitees":
                    inv = s.invitees.get(fake.api_base + path)
                    if inv is None or not self._may_see(token, s.events[inv["event"]], "scheduled_events"):
                        return self._not_found()
                    return self._resource(inv)
                if path == "/webhook_subscriptions" and method == "POST":
                    return self._subscribe(json.loads(raw or b"{}"), token)
                if path == "/webhook_subscriptions" and method == "GET":
                    return self._subscriptions(query, token)
                if method == "DELETE" and len(parts) == 2 and parts[0] == "webhook_subscriptions":
                    with fake._lock:
                        sub = s.webhooks.get(fake.uri(*parts))
                        if sub is None or sub["organization"] != self._org(token):
                            return self._not_found()
                        del s.webhooks[sub["uri"]]
                    return self._send(204)
                return self._not_found()

            def _not_found(self):
                return self._error(404, "Resource Not Found", "The server could not find the requested resource.")

            def _org(self, token: Token) -> str:
                return fake.store.users[token.user]["current_organization"]

            def _is_admin(self, token: Token) -> bool:
                return any(
                    m["user"]["uri"] == token.user and m["role"] in ("admin", "owner")
                    for m in fake.store.memberships.values()
                )

            def _may_see(self, token: Token, item: dict, kind: str) -> bool:
                org = self._org(token)
                if kind == "users":
                    return item["current_organization"] == org
                if kind == "organizations":
                    return item["uri"] == org
                if kind == "organization_memberships":
                    return item["organization"] == org
                return item.get("_organization", item.get("organization")) == org

            def _resource(self, item: dict):
                return self._send(200, {"resource": _public(item)})

            def _page(self, items: list[dict], query: dict, path: str):
                count = int(query.get("count", 20))
                if not 1 <= count <= 100:
                    raise ValueError("count must be between 1 and 100")
                offset = int(query.get("page_token") or 0)
                page = items[offset : offset + count]
                nxt = offset + count if offset + count < len(items) else None
                prev = max(offset - count, 0) if offset else None

                def link(tok):
                    if tok is None:
                        return None
                    q = {k: v for k, v in query.items() if k != "page_token"}
                    q["count"], q["page_token"] = count, tok
                    return f"{fake.api_base}{path}?{urlencode(q)}"

                return self._send(
                    200,
                    {
                        "collection": [_public(i) for i in page],
                        "pagination": {
                            "count": len(page),
                            "next_page": link(nxt),
                            "previous_page": link(prev),
                            "next_page_token": None if nxt is None else str(nxt),
                            "previous_page_token": None if prev is None else str(prev),
                        },
                    },
                )

            def _scope(self, query: dict, token: Token) -> tuple[str | None, str | None] | None:
                user, org = query.get("user"), query.get("organization")
                if not user and not org:
                    self._error(
                        400,
                        "Invalid Argument",
                        "The supplied parameters are invalid.",
                        [{"parameter": "user", "message": "one of user or organization must be provided"}],
                    )
                    return None
                if org and org != self._org(token):
                    self._error(403, "Permission Denied", "You do not have permission to access this resource.")
                    return None
                if user and (
                    user not in fake.store.users or fake.store.users[user]["current_organization"] != self._org(token)
                ):
                    self._error(404, "Resource Not Found", "The server could not find the requested resource.")
                    return None
                return user, org

            def _memberships(self, query: dict, token: Token):
                if (scope := self._scope(query, token)) is None:
                    return
                user, _org = scope
                items = [
                    m
                    for m in fake.store.memberships.values()
                    if m["organization"] == self._org(token)
                    and (user is None or m["user"]["uri"] == user)
                    and (not query.get("email") or m["user"]["email"] == query["email"])
                ]
                return self._page(items, query, "/organization_memberships")

            def _event_types(self, query: dict, token: Token):
                """user=: the event types the user hosts or is a pool member of; organization=: all of it."""
                if (scope := self._scope(query, token)) is None:
                    return
                user, _org = scope
                items = [
                    e
                    for e in fake.store.event_types.values()
                    if not e["_removed"]
                    and e["_organization"] == self._org(token)
                    and (user is None or user in e["_hosts"])
                ]
                if "active" in query:
                    want = query["active"] == "true"
                    items = [e for e in items if e["active"] == want]
                items.sort(key=lambda e: e["name"])
                return self._page(items, query, "/event_types")

            def _scheduled_events(self, query: dict, token: Token):
                if (scope := self._scope(query, token)) is None:
                    return
                user, _org = scope
                items = [
                    e
                    for e in fake.store.events.values()
                    if e["_organization"] == self._org(token)
                    and (user is None or any(m["user"] == user for m in e["event_memberships"]))
                ]
                if query.get("status"):
                    items = [e for e in items if e["status"] == query["status"]]
                if query.get("min_start_time"):
                    lo = parse_ts(query["min_start_time"])
                    items = [e for e in items if parse_ts(e["start_time"]) >= lo]
                if query.get("max_start_time"):
                    hi = parse_ts(query["max_start_time"])
                    items = [e for e in items if parse_ts(e["start_time"]) < hi]
                if query.get("invitee_email"):
                    mail = query["invitee_email"]
                    items = [
                        e
                        for e in items
                        if any(i["event"] == e["uri"] and i["email"] == mail for i in fake.store.invitees.values())
                    ]
                key, _, direction = query.get("sort", "start_time:asc").partition(":")
                if key not in ("start_time", "created_at", "updated_at"):
                    raise ValueError(f"sort field {key}")
                items.sort(key=lambda e: (e[key], e["uri"]), reverse=direction == "desc")
                return self._page(items, query, "/scheduled_events")

            def _invitees(self, event_uri: str, query: dict, token: Token):
                event = fake.store.events.get(event_uri)
                if event is None or not self._may_see(token, event, "scheduled_events"):
                    return self._not_found()
                items = [i for i in fake.store.invitees.values() if i["event"] == event_uri]
                if query.get("status"):
                    items = [i for i in items if i["status"] == query["status"]]
                if query.get("email"):
                    items = [i for i in items if i["email"] == query["email"]]
                items.sort(key=lambda i: (i["created_at"], i["uri"]), reverse=query.get("sort") == "created_at:desc")
                return self._page(items, query, event_uri[len(fake.api_base) :] + "/invitees")

            def _subscribe(self, body: dict, token: Token):
                missing = [k for k in ("url", "events", "organization", "scope") if not body.get(k)]
                if body.get("scope") == "user" and not body.get("user"):
                    missing.append("user")
                if missing:
                    return self._error(
                        400,
                        "Invalid Argument",
                        "The supplied parameters are invalid.",
                        [{"parameter": k, "message": "is required"} for k in missing],
                    )
                if body["scope"] not in ("user", "organization") or any(
                    e not in WEBHOOK_EVENTS for e in body["events"]
                ):
                    return self._error(400, "Invalid Argument", "The supplied parameters are invalid.")
                if body["organization"] != self._org(token):
                    return self._error(403, "Permission Denied", "You do not have permission to access this resource.")
                if body["scope"] == "organization" and not self._is_admin(token):
                    return self._error(403, "Permission Denied", "You do not have permission to access this resource.")
                org = fake.store.organizations[self._org(token)]
                if fake.webhooks_refused or org["stage"] == "free":
                    return self._error(
                        403,
                        "Permission Denied",
                        fake.webhooks_refused or "Please upgrade your Calendly account to Standard",
                    )
                with fake._lock:
                    if any(
                        w["callback_url"] == body["url"]
                        and w["organization"] == body["organization"]
                        and w["user"] == body.get("user")
                        for w in fake.store.webhooks.values()
                    ):
                        return self._error(409, "Already Exists", "Hook with this url already exists")
                    uri = fake.uri("webhook_subscriptions", _uuid())
                    fake.store.webhooks[uri] = {
                        "uri": uri,
                        "callback_url": body["url"],
                        "created_at": ts(fake.now),
                        "updated_at": ts(fake.now),
                        "retry_started_at": None,
                        "state": "active",
                        "events": list(body["events"]),
                        "scope": body["scope"],
                        "organization": body["organization"],
                        "user": body.get("user") if body["scope"] == "user" else None,
                        "group": None,
                        "creator": token.user,
                        "_signing_key": body.get("signing_key"),
                    }
                return self._send(201, {"resource": _public(fake.store.webhooks[uri])})

            def _subscriptions(self, query: dict, token: Token):
                if not query.get("organization") or not query.get("scope"):
                    return self._error(400, "Invalid Argument", "organization and scope are required")
                items = [
                    w
                    for w in fake.store.webhooks.values()
                    if w["organization"] == query["organization"]
                    and w["scope"] == query["scope"]
                    and (not query.get("user") or w["user"] == query["user"])
                ]
                return self._page(items, query, "/webhook_subscriptions")

        return Handler


def _public(item: dict) -> dict:
    """A resource without the fake's own bookkeeping keys (those start with "_")."""
    return {k: v for k, v in item.items() if not k.startswith("_")}
