"""A second Slotwise on 127.0.0.1 that plays Calendly: `slotwise serve` and `slotwise worker` as real processes
over their own SQLite database, loaded from an organization file, with personal access tokens for its hosts.
Its API at <base>/api/v2 speaks Calendly's v2 dialect and its webhooks sign as Calendly signs, so the import
(which knows only Calendly) connects to it with api_base = <base>/api/v2.

Driven by real HTTP: book through POST /invitees, cancel through POST /scheduled_events/{uuid}/cancellation,
reschedule through the invitee's reschedule page (the reschedule_url Calendly gives every invitee)."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml

SRC = Path(__file__).resolve().parents[2] / "src"

SETUP = """
import json, os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slotwise.config.settings")
django.setup()
from django.core.management import call_command
from slotwise.api.tokens import membership_for, token_create
from slotwise.core.clock import utc_now
call_command("migrate", verbosity=0)
call_command("load", sys.argv[1], verbosity=0)
out = {}
for email in json.loads(sys.argv[2]):
    _, secret = token_create(membership=membership_for(email=email), scope="write", name="import", now=utc_now())
    out[email] = secret
print("TOKENS " + json.dumps(out))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CalendlyPlayingSlotwise:
    def __init__(self, folder: Path, orgfile: dict):
        self.folder = folder
        self.orgfile = orgfile
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.api_base = f"{self.base}/api/v2"
        self.tokens: dict[str, str] = {}
        self.procs: list[subprocess.Popen] = []
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "SLOTWISE_"))},
            "DATABASE_URL": f"sqlite:///{folder / 'calendly.sqlite3'}",
            "SLOTWISE_DATA_DIR": str(folder),
            "SLOTWISE_BASE_URL": self.base,
            "SLOTWISE_API_RATE_LIMIT": "100000",
            "SLOTWISE_WEB_RATE_LIMIT": "100000",
            "SLOTWISE_OUTBOUND_ALLOW_LOOPBACK": "1",
            "PYTHONPATH": str(SRC),
            "PYTHONUNBUFFERED": "1",
        }

    def start(self) -> "CalendlyPlayingSlotwise":
        path = self.folder / "calendly-org.yaml"
        path.write_text(yaml.safe_dump(self.orgfile))
        emails = [h["email"] for h in self.orgfile["hosts"]]
        done = subprocess.run(
            [sys.executable, "-c", SETUP, str(path), json.dumps(emails)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        line = next((x for x in done.stdout.splitlines() if x.startswith("TOKENS ")), None)
        if line is None:
            raise AssertionError(f"setting up the Calendly-playing server failed:\n{done.stdout}\n{done.stderr}")
        self.tokens = json.loads(line[len("TOKENS ") :])
        log = open(self.folder / "server.log", "w")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "slotwise",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    "1",
                    "--threads",
                    "8",
                    "--no-worker",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "slotwise", "worker", "--interval", "0.1"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.procs):
                break
            try:
                if requests.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"the Calendly-playing server did not start:\n{(self.folder / 'server.log').read_text()}")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs = []
        if getattr(self, "_log", None):
            self._log.close()

    # ---- Calendly's API, as a Calendly client calls it --------------------------------------------

    def api(self, method: str, path: str, *, as_: str, **kwargs) -> requests.Response:
        url = path if path.startswith("http") else self.api_base + path
        return requests.request(
            method, url, headers={"Authorization": f"Bearer {self.tokens[as_]}"}, timeout=30, **kwargs
        )

    def me(self, as_: str) -> dict:
        return self.api("GET", "/users/me", as_=as_).json()["resource"]

    def event_type(self, slug: str, *, as_: str) -> dict:
        user = self.me(as_)["uri"]
        types = self.api("GET", "/event_types", as_=as_, params={"user": user, "count": 100}).json()["collection"]
        return next(t for t in types if t["slug"] == slug)

    def free_start(self, event_type_uri: str, *, as_: str, after: str, skip: int = 0) -> str:
        """A start the event type offers after the instant `after` (ISO, Z), from its available times."""
        from datetime import datetime, timedelta

        begin = datetime.fromisoformat(after.replace("Z", "+00:00"))
        times = self.api(
            "GET",
            "/event_type_available_times",
            as_=as_,
            params={
                "event_type": event_type_uri,
                "start_time": begin.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "end_time": (begin + timedelta(days=6)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        ).json()["collection"]
        return times[skip]["start_time"]

    def book(
        self,
        event_type_uri: str,
        *,
        start: str,
        name: str,
        email: str,
        as_: str,
        answers: list[dict] | None = None,
        timezone: str = "Europe/Berlin",
    ) -> dict:
        r = self.api(
            "POST",
            "/invitees",
            as_=as_,
            json={
                "event_type": event_type_uri,
                "start_time": start,
                "invitee": {"name": name, "email": email, "timezone": timezone},
                "questions_and_answers": answers or [],
            },
        )
        assert r.status_code == 201, r.text
        return r.json()["resource"]

    def cancel(self, event_uri: str, *, as_: str, reason: str = "") -> None:
        r = self.api("POST", f"{event_uri}/cancellation", as_=as_, json={"reason": reason})
        assert r.status_code == 201, r.text

    def reschedule(self, invitee: dict, *, start: str) -> None:
        """What the invitee does with the reschedule link: open it on the new time, confirm."""
        page = requests.get(invitee["reschedule_url"], params={"start": start}, timeout=30)
        assert page.status_code == 200 and 'id="booking-form"' in page.text, page.text[:500]
        r = requests.post(
            invitee["reschedule_url"],
            data={  # the public booking form (CSRF-exempt, as embeds need)
                "start": start,
                "name": invitee["name"],
                "email": invitee["email"],
                "tz": invitee["timezone"],
                "browser_tz": invitee["timezone"],
                "confirmed": "1",
            },
            timeout=30,
        )
        assert r.status_code == 200 and "/booked/" in r.url, r.text[:2000]

    def invitees(self, event_uri: str, *, as_: str) -> list[dict]:
        return self.api("GET", f"{event_uri}/invitees", as_=as_).json()["collection"]
