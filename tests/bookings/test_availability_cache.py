"""The busy-time cache (bookings.busycache) never changes an answer: under random interleavings of
bookings, cancels, reschedules and calendar syncs, all through the real services, the cached read path
gives the same slots, free hosts and seats as the uncached one. And a write made by another process is
seen by the next read here.

Transactional cases: the cache is filled only from reads outside a transaction (committed rows), as a
page's are; inside a test transaction it would never be filled and the comparison would prove nothing.
"""

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotwise import engine
from slotwise.bookings import busycache
from slotwise.bookings.availability import event_availability, host_inputs, offered_times
from slotwise.bookings.models import Invitee
from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create, booking_reschedule
from slotwise.calendars.services import connection_add_ics
from slotwise.calendars.sync import sync_connection
from slotwise.core.errors import SlotwiseError
from slotwise.scheduling import selectors as scheduling
from slotwise.scheduling import services as scheduling_services
from slotwise.scheduling.models import EventType
from tests import factories as f
from tests.hypo import examples

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 3, 6, 9, 17, tzinfo=UTC)
DAY0 = datetime(2026, 3, 9, tzinfo=UTC)  # a Monday
WINDOW = (NOW, DAY0 + timedelta(days=5))
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kathmandu"]


class Feed:
    """An ICS feed on 127.0.0.1 whose events the test sets; each new body gets a new ETag."""

    def __init__(self):
        self.body = _ics([])
        self.etag = 0

    def set(self, events):
        self.body = _ics(events)
        self.etag += 1


def _ics(events) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//cache//EN"]
    for i, (start, minutes) in enumerate(events):
        end = start + timedelta(minutes=minutes)
        lines += [
            "BEGIN:VEVENT",
            f"UID:e{i}",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{end:%Y%m%dT%H%M%SZ}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture(scope="module")
def feed():
    served = Feed()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            etag = f'"v{served.etag}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(served.body)))
            self.end_headers()
            self.wfile.write(served.body)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    served.url = f"http://127.0.0.1:{server.server_port}/busy.ics"
    yield served
    server.shutdown()
    server.server_close()


def world(feed, *, buffers: tuple[int, int], daily_limit: int | None, host_daily: int | None):
    """Three hosts in three zones in a round-robin pool, plus the first host's own event type; the first
    host's calendar is the feed."""
    org = f.org()
    hosts = [
        f.host(org, tz=zone, weekly={d: [["07:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})
        for zone in ZONES
    ]
    team = f.team(org, hosts)
    rr = f.event_type(
        team=team,
        kind=EventType.Kind.ROUND_ROBIN,
        duration_minutes=60,
        increment_minutes=60,
        buffer_before_minutes=buffers[0],
        buffer_after_minutes=buffers[1],
        daily_limit=daily_limit,
    )
    own = f.event_type(hosts[0], duration_minutes=30, increment_minutes=30, buffer_after_minutes=buffers[1])
    if host_daily is not None:
        scheduling_services.host_limits_set(host=hosts[1], values={"daily_limit": host_daily})
    feed.set([])
    conn = connection_add_ics(membership=hosts[0], url=feed.url, now=NOW)
    return hosts, [rr, own], conn


def both_ways(event_type: EventType) -> None:
    """The cached and the uncached path agree on every answer a door asks for."""
    start, end = WINDOW
    cached = event_availability(event_type=event_type, start=start, end=end, viewer_zone="Asia/Tokyo", now=NOW)
    fresh = event_availability(
        event_type=event_type, start=start, end=end, viewer_zone="Asia/Tokyo", now=NOW, cached=False
    )
    assert cached == fresh
    assert offered_times(event_type=event_type, start=start, end=end, now=NOW) == offered_times(
        event_type=event_type, start=start, end=end, now=NOW, cached=False
    )
    hosts = scheduling.event_hosts(event_type)
    a = host_inputs(event_type, hosts, start=start, end=end, cached=True)
    b = host_inputs(event_type, hosts, start=start, end=end, cached=False)
    for t in engine.grid_starts(a.rules, start=start, end=end)[::7]:
        assert engine.free_hosts(a.rules, a.hosts, now=NOW, start=t) == engine.free_hosts(
            b.rules, b.hosts, now=NOW, start=t
        )


def _invitee(n: int) -> InviteeInput:
    return InviteeInput(name=f"Invitee {n}", email=f"i{n}@example.com", timezone="Europe/Paris")


steps = st.lists(
    st.one_of(
        st.tuples(st.just("book"), st.integers(0, 1), st.integers(0, 10_000)),
        st.tuples(st.just("book_any"), st.integers(0, 1), st.integers(0, 5 * 24 - 1)),
        st.tuples(st.just("cancel"), st.integers(0, 10_000)),
        st.tuples(st.just("reschedule"), st.integers(0, 10_000), st.integers(0, 10_000)),
        st.tuples(
            st.just("sync"),
            st.lists(st.tuples(st.integers(0, 5 * 24 * 4 - 1), st.sampled_from([15, 60, 150])), max_size=6),
        ),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plan=steps,
    buffers=st.sampled_from([(0, 0), (15, 0), (0, 30)]),
    daily_limit=st.sampled_from([None, 2]),
    host_daily=st.sampled_from([None, 1]),
)
def test_the_cached_path_equals_the_uncached_one_under_any_interleaving_of_writes(
    feed, plan, buffers, daily_limit, host_daily
):
    hosts, event_types, conn = world(feed, buffers=buffers, daily_limit=daily_limit, host_daily=host_daily)
    for et in event_types:
        both_ways(et)  # and the cache now holds every host
    made: list[Invitee] = []
    for n, step in enumerate(plan):
        kind = step[0]
        if kind == "book":
            et = event_types[step[1]]
            starts = offered_times(event_type=et, start=WINDOW[0], end=WINDOW[1], now=NOW, cached=False)
            if starts:
                made.append(
                    booking_create(
                        event_type=et, start=starts[step[2] % len(starts)].start, invitee=_invitee(n), now=NOW
                    )
                )
        elif kind == "book_any":  # any hour, offered or not: a refusal writes nothing
            try:
                made.append(
                    booking_create(
                        event_type=event_types[step[1]],
                        start=DAY0 + timedelta(hours=step[2]),
                        invitee=_invitee(n),
                        now=NOW,
                    )
                )
            except SlotwiseError:
                pass
        elif kind == "cancel" and made:
            invitee = made.pop(step[1] % len(made))
            booking_cancel(booking=invitee.booking, now=NOW)
        elif kind == "reschedule" and made:
            k = step[1] % len(made)
            et = made[k].booking.event_type
            starts = offered_times(event_type=et, start=WINDOW[0], end=WINDOW[1], now=NOW, cached=False)
            if starts:
                made[k] = booking_reschedule(invitee=made[k], new_start=starts[step[2] % len(starts)].start, now=NOW)
        elif kind == "sync":
            feed.set([(DAY0 + timedelta(minutes=15 * q), minutes) for q, minutes in step[1]])
            assert sync_connection(connection=conn, now=NOW).ok
        for et in event_types:
            both_ways(et)


def test_an_unchanged_host_is_not_read_again_and_a_write_is_seen_at_once(feed):
    hosts, (rr, _own), _conn = world(feed, buffers=(0, 0), daily_limit=None, host_daily=None)
    start, end = WINDOW
    first = offered_times(event_type=rr, start=start, end=end, now=NOW)
    with CaptureQueriesContext(connection) as again:
        assert offered_times(event_type=rr, start=start, end=end, now=NOW) == first
    read_rows = [q["sql"] for q in again.captured_queries if "bookings_bookinghost" in q["sql"]]
    assert read_rows == []  # only the version check, no busy rows
    taken = booking_create(event_type=rr, start=first[0].start, invitee=_invitee(1), now=NOW)
    with CaptureQueriesContext(connection) as after:
        now_offered = offered_times(event_type=rr, start=start, end=end, now=NOW)
    assert any("bookings_bookinghost" in q["sql"] for q in after.captured_queries)
    assert busycache.versions([taken.booking.host_id])[taken.booking.host_id] >= 1
    assert now_offered == offered_times(event_type=rr, start=start, end=end, now=NOW, cached=False)


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{user}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_a_booking_made_in_another_process_is_seen_by_the_next_read_here(feed):
    hosts, (_rr, own), _conn = world(feed, buffers=(0, 0), daily_limit=None, host_daily=None)
    start, end = WINDOW
    before = offered_times(event_type=own, start=start, end=end, now=NOW)  # the cache now holds the host
    taken = before[3].start
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "slotwise.config.settings"}
    child = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tests.bookings.book_elsewhere", str(own.pk), taken.isoformat(), NOW.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout)["host"] == hosts[0].pk
    after = offered_times(event_type=own, start=start, end=end, now=NOW)
    assert [o.start for o in after] == [o.start for o in before if o.start != taken]
