"""A small Calendly stand-in for `slotwise bench import`, on 127.0.0.1, in Calendly's v2 shapes for the few
resources a poll reads: /users/me, /organizations/<id>, /scheduled_events (user, min_start_time, count,
page_token; pagination.next_page) and /scheduled_events/<id>/invitees. It ships in the package because the
bench does; the tests' full fake (OAuth, webhooks, failures) is tests/imports/calendly_fake.py."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse


def ts(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class BenchCalendly:
    def __init__(self):
        self.users: dict[str, dict] = {}  # token -> User resource
        self.events: dict[str, list[dict]] = {}  # user uri -> events sorted by start
        self.invitees: dict[str, list[dict]] = {}  # event uri -> invitees
        self.organization = ""
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.organization = f"{self.base}/organizations/BENCHORG"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_user(self, n: int, token: str) -> dict:
        uri = f"{self.base}/users/U{n:04d}"
        user = {
            "uri": uri,
            "name": f"User {n}",
            "slug": f"user-{n}",
            "email": f"user{n}@calendly.bench",
            "scheduling_url": f"https://calendly.com/user-{n}",
            "timezone": "UTC",
            "avatar_url": None,
            "created_at": ts(datetime(2026, 1, 1, tzinfo=UTC)),
            "updated_at": ts(datetime(2026, 1, 1, tzinfo=UTC)),
            "current_organization": self.organization,
            "resource_type": "User",
        }
        self.users[token] = user
        self.events[uri] = []
        return user

    def add_event(
        self, *, user: dict, event_type: str, start: datetime, created_at: datetime, minutes: int = 30, guest: str
    ) -> tuple[dict, dict]:
        ident = f"E{len(self.invitees):07d}"
        uri = f"{self.base}/scheduled_events/{ident}"
        event = {
            "uri": uri,
            "name": "Intro",
            "status": "active",
            "start_time": ts(start),
            "end_time": ts(start + timedelta(minutes=minutes)),
            "event_type": event_type,
            "location": {"type": "zoom", "join_url": f"https://zoom.example/j/{ident}"},
            "invitees_counter": {"total": 1, "active": 1, "limit": 1},
            "created_at": ts(created_at),
            "updated_at": ts(created_at),
            "meeting_notes_plain": None,
            "meeting_notes_html": None,
            "event_memberships": [{"user": user["uri"], "user_email": user["email"], "user_name": user["name"]}],
            "event_guests": [],
            "calendar_event": None,
        }
        invitee = {
            "uri": f"{uri}/invitees/I{ident}",
            "email": guest,
            "name": guest.split("@")[0],
            "first_name": None,
            "last_name": None,
            "status": "active",
            "timezone": "Europe/Berlin",
            "event": uri,
            "questions_and_answers": [{"question": "What is it about?", "answer": "Pricing", "position": 0}],
            "text_reminder_number": None,
            "rescheduled": False,
            "old_invitee": None,
            "new_invitee": None,
            "created_at": ts(created_at),
            "updated_at": ts(created_at),
            "tracking": {},
            "cancel_url": "",
            "reschedule_url": "",
            "routing_form_submission": None,
            "payment": None,
            "no_show": None,
            "reconfirmation": None,
        }
        with self._lock:
            self.events[user["uri"]].append(event)
            self.events[user["uri"]].sort(key=lambda e: e["start_time"])
            self.invitees[uri] = [invitee]
        return event, invitee

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _page(self, items: list, query: dict, path: str) -> None:
                count = int(query.get("count", 20))
                offset = int(query.get("page_token", 0) or 0)
                page = items[offset : offset + count]
                nxt = None
                if offset + count < len(items):
                    nxt = f"{fake.base}{path}?{urlencode({**query, 'page_token': offset + count})}"
                self._send(
                    200,
                    {
                        "collection": page,
                        "pagination": {
                            "count": len(page),
                            "next_page": nxt,
                            "previous_page": None,
                            "next_page_token": str(offset + count) if nxt else None,
                            "previous_page_token": None,
                        },
                    },
                )

            def do_GET(self):  # noqa: N802 - http.server's name
                user = fake.users.get(self.headers.get("Authorization", "").removeprefix("Bearer "))
                if user is None:
                    return self._send(401, {"title": "Unauthenticated", "message": "The access token is invalid"})
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                parts = url.path.strip("/").split("/")
                if url.path == "/users/me":
                    return self._send(200, {"resource": user})
                if parts[0] == "organizations":
                    return self._send(200, {"resource": {"uri": fake.organization, "plan": "teams", "stage": "paid"}})
                if url.path == "/scheduled_events":
                    with fake._lock:
                        items = list(fake.events.get(query.get("user", ""), []))
                    if query.get("min_start_time"):
                        lo = query["min_start_time"]
                        items = [e for e in items if e["start_time"] >= lo]  # one format: text orders as time
                    return self._page(items, query, url.path)
                if len(parts) == 3 and parts[0] == "scheduled_events" and parts[2] == "invitees":
                    with fake._lock:
                        items = list(fake.invitees.get(f"{fake.base}/scheduled_events/{parts[1]}", []))
                    return self._page(items, query, url.path)
                return self._send(404, {"title": "Resource Not Found", "message": "No such resource"})

        return Handler
