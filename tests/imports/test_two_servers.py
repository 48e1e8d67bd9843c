"""End to end with two Slotwise servers on 127.0.0.1 (issue 9, seed 001).

Server 1 (a `slotwise serve` and `slotwise worker` in processes of their own, over their own database) plays
Calendly: the import knows only Calendly's v2 dialect, and connects to server 1's /api/v2 with a personal access
token created there. Server 2 is this test process's live server: it imports, and receives server 1's webhooks
over real HTTP. Booking, canceling and rescheduling happen on server 1 (its API and its reschedule page); the
appointments, contacts and owners must appear on server 2.

Server 1 starts once for the module. Polls are run by calling the sync directly (no waiting for a schedule);
only webhook arrival, which crosses processes, is waited for."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.imports.calendly_server import CalendlyPlayingSlotwise

ALL_DAY = {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
ORGFILE = {
    "organization": {"slug": "calendly-co", "name": "Calendly Co", "timezone": "UTC"},
    "hosts": [
        {"email": "ana@calendly.test", "name": "Ana Ruiz", "slug": "ana", "role": "owner", "timezone": "UTC",
         "weekly": ALL_DAY},
        {"email": "bo@calendly.test", "name": "Bo Lind", "slug": "bo", "timezone": "UTC", "weekly": ALL_DAY},
        {"email": "cy@calendly.test", "name": "Cy Moss", "slug": "cy", "timezone": "UTC", "weekly": ALL_DAY},
    ],
    "teams": [{"slug": "support", "name": "Support", "timezone": "UTC",
               "members": ["ana@calendly.test", "bo@calendly.test", "cy@calendly.test"]}],
    "event_types": [
        {"slug": "intro", "name": "Intro call", "host": "ana@calendly.test", "kind": "one_on_one", "duration": 30,
         "increment": 30, "min_notice": 0, "window": {"rolling_days": 30},
         "questions": [{"key": "phone", "label": "Phone", "type": "phone"},
                       {"key": "topic", "label": "What about?", "type": "text"}]},
        {"slug": "support-call", "name": "Support call", "team": "support", "kind": "round_robin", "duration": 30,
         "increment": 30, "min_notice": 0, "window": {"rolling_days": 30}},
    ],
}


@pytest.fixture(scope="module")
def calendly(tmp_path_factory):
    server = CalendlyPlayingSlotwise(tmp_path_factory.mktemp("calendly-server"), ORGFILE).start()
    yield server
    server.stop()


def eventually(check, *, timeout: float = 30.0):
    """For what crosses processes (server 1's worker delivering a webhook): check until true."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {check.__doc__ or check}")
        time.sleep(0.05)


def utc_iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_server_one_speaks_the_calendly_the_import_reads(calendly):
    ana = calendly.me("ana@calendly.test")
    bo = calendly.me("bo@calendly.test")
    org = calendly.api("GET", ana["current_organization"], as_="ana@calendly.test").json()["resource"]
    assert (org["plan"], org["stage"]) == ("enterprise", "paid")
    bo_types = calendly.api("GET", "/event_types", as_="bo@calendly.test", params={"user": bo["uri"]}).json()
    assert [(t["slug"], t["pooling_type"]) for t in bo_types["collection"]] == [("support-call", "round_robin")]
    intro = calendly.event_type("intro", as_="ana@calendly.test")
    start = calendly.free_start(intro["uri"], as_="ana@calendly.test", after=utc_iso(datetime.now(UTC) + timedelta(days=1)))
    invitee = calendly.book(intro["uri"], start=start, name="Dee Park", email="dee@example.com", as_="ana@calendly.test",
                            answers=[{"question": "Phone", "answer": "+49 30 1234567"}])
    listed = calendly.api("GET", "/scheduled_events", as_="ana@calendly.test", params={
        "user": ana["uri"], "min_start_time": start, "status": "active"}).json()["collection"]
    event = next(e for e in listed if e["uri"] == invitee["event"])
    assert event["event_memberships"][0]["user"] == ana["uri"] and event["created_at"].endswith("Z")
    assert invitee["questions_and_answers"][0]["answer"] == "+49 30 1234567"
