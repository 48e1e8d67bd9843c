"""A local stand-in for Zoom, built from the shapes in Zoom's API reference (Meetings: Create a meeting,
Update a meeting, Delete a meeting; OAuth: Refresh an access token). Served on 127.0.0.1 for tests and
for trying Zoom locally: ZOOM_API_BASE=http://127.0.0.1:<port>/v2, ZOOM_OAUTH_BASE=http://127.0.0.1:<port>."""

import base64
import itertools
import json
import re
import secrets
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeZoom:
    def __init__(self, *, client_id: str = "fake-client", client_secret: str = "fake-secret"):
        self.client_id, self.client_secret = client_id, client_secret
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.meetings: dict[int, dict] = {}
        self.codes: dict[str, str] = {}  # authorization code -> the redirect_uri it was issued for
        self.requests: list[tuple[str, str]] = []  # (method, path) in arrival order
        self.fail_next: list[int] = []  # status codes to answer the next API calls with
        self._ids = itertools.count(81234567890)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeZoom":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def grant(self) -> tuple[str, str]:
        """A fresh (access_token, refresh_token) pair, as the authorization-code exchange would give."""
        access, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        with self._lock:
            self.access_tokens.add(access)
            self.refresh_tokens.add(refresh)
        return access, refresh

    def issue_code(self, redirect_uri: str) -> str:
        """What Zoom's consent screen would append to the redirect: ?code=...&state=..."""
        code = secrets.token_urlsafe(12)
        self.codes[code] = redirect_uri
        return code

    def expire(self, access_token: str) -> None:
        with self._lock:
            self.access_tokens.discard(access_token)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict | None = None):
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                if body is not None:
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> dict:
                n = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(n) or b"{}")

            def _bearer_ok(self) -> bool:
                auth = self.headers.get("Authorization", "")
                return auth.startswith("Bearer ") and auth[7:] in fake.access_tokens

            def _dispatch(self, method: str):
                url = urlparse(self.path)
                fake.requests.append((method, url.path))
                if url.path == "/oauth/token" and method == "POST":
                    return self._token(parse_qs(url.query))
                if not url.path.startswith("/v2/"):
                    return self._send(404, {"code": 404, "message": "Not found"})
                if fake.fail_next:
                    return self._send(fake.fail_next.pop(0), {"code": 300, "message": "Injected failure"})
                if not self._bearer_ok():
                    return self._send(401, {"code": 124, "message": "Invalid access token."})
                if url.path == "/v2/users/me/meetings" and method == "POST":
                    return self._create(self._body())
                m = re.fullmatch(r"/v2/meetings/(\d+)", url.path)
                if m and method in ("PATCH", "DELETE", "GET"):
                    return self._meeting(method, int(m.group(1)))
                return self._send(404, {"code": 404, "message": "Not found"})

            def _token(self, query):
                expected = base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    return self._send(401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
                grant_type = (query.get("grant_type") or [""])[0]
                if grant_type == "authorization_code":
                    code = (query.get("code") or [""])[0]
                    if fake.codes.pop(code, None) != (query.get("redirect_uri") or [""])[0]:
                        return self._send(400, {"reason": "Invalid authorization code", "error": "invalid_grant"})
                    access, refresh = fake.grant()
                    return self._send(
                        200,
                        {
                            "access_token": access,
                            "token_type": "bearer",
                            "refresh_token": refresh,
                            "expires_in": 3599,
                            "scope": "meeting:write:meeting",
                        },
                    )
                token = (query.get("refresh_token") or [""])[0]
                if grant_type != "refresh_token" or token not in fake.refresh_tokens:
                    return self._send(400, {"reason": "Invalid Token!", "error": "invalid_request"})
                with fake._lock:
                    fake.refresh_tokens.discard(token)  # Zoom refresh tokens are single use
                access, refresh = fake.grant()
                return self._send(
                    200,
                    {
                        "access_token": access,
                        "token_type": "bearer",
                        "refresh_token": refresh,
                        "expires_in": 3599,
                        "scope": "meeting:write:meeting",
                    },
                )

            def _create(self, body):
                errors = []
                if not isinstance(body.get("topic", ""), str):
                    errors.append({"field": "topic", "message": "Invalid field."})
                if body.get("type", 2) not in (1, 2, 3, 8):
                    errors.append({"field": "type", "message": "Invalid field."})
                start = body.get("start_time")
                if body.get("type", 2) == 2:
                    try:
                        datetime.strptime((start or "") + "+0000", "%Y-%m-%dT%H:%M:%SZ%z")
                    except ValueError:
                        errors.append({"field": "start_time", "message": "Invalid field."})
                if not isinstance(body.get("duration", 0), int):
                    errors.append({"field": "duration", "message": "Invalid field."})
                if errors:
                    return self._send(400, {"code": 300, "message": "Validation Failed.", "errors": errors})
                mid = next(fake._ids)
                pwd = secrets.token_hex(4)
                meeting = {
                    "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),
                    "id": mid,
                    "host_id": "fakehost",
                    "host_email": "host@example.com",
                    "topic": body.get("topic", "Zoom meeting"),
                    "type": body.get("type", 2),
                    "status": "waiting",
                    "start_time": start,
                    "duration": body.get("duration"),
                    "timezone": body.get("timezone", "UTC"),
                    "agenda": body.get("agenda", ""),
                    "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "start_url": f"https://fake.zoom.us/s/{mid}?zak=fake",
                    "join_url": f"https://fake.zoom.us/j/{mid}?pwd={pwd}",
                    "password": pwd,
                    "settings": body.get("settings", {}),
                }
                with fake._lock:
                    fake.meetings[mid] = meeting
                return self._send(201, meeting)

            def _meeting(self, method, mid):
                if mid not in fake.meetings:
                    return self._send(404, {"code": 3001, "message": f"Meeting does not exist: {mid}."})
                if method == "GET":
                    return self._send(200, fake.meetings[mid])
                if method == "DELETE":
                    with fake._lock:
                        del fake.meetings[mid]
                    return self._send(204)
                body = self._body()
                with fake._lock:
                    fake.meetings[mid].update(
                        {
                            k: v
                            for k, v in body.items()
                            if k in ("topic", "start_time", "duration", "timezone", "agenda")
                        }
                    )
                return self._send(204)

            def do_POST(self):
                self._dispatch("POST")

            def do_PATCH(self):
                self._dispatch("PATCH")

            def do_DELETE(self):
                self._dispatch("DELETE")

            def do_GET(self):
                self._dispatch("GET")

        return Handler
