"""Calendar sync benchmark: time and peak memory to sync a 10 000-event calendar, and the S2 availability
query (100 round-robin hosts in 12 zones, 31 days) with its busy time coming from synced calendars.

Everything runs against 127.0.0.1: a local HTTP server for ICS feeds and a real Radicale (started here) for
CalDAV. The database is a fresh SQLite file in a temp dir unless DATABASE_URL is set. Times are wall-clock
medians of --runs full syncs; "peak" is the largest Python heap (tracemalloc) during one extra sync, so the
timed runs are not slowed by tracing.

    .venv/bin/python -m slotwise.bench.sync [--events 10000] [--runs 3] [--caldav-events 500] [--s2-events 100]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time as clock
import tracemalloc
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from slotwise.bench.engine import NOW, ZONES  # S2's clock and zones: one definition for every bench

RULES = [
    "FREQ=WEEKLY",
    "FREQ=WEEKLY;BYDAY=MO,WE,FR",
    "FREQ=DAILY;COUNT=20",
    "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=MONTHLY;BYDAY=1TU",
    "FREQ=WEEKLY;UNTIL={until}",
]


def calendar_text(n: int, *, seed: int, zone: str = "Europe/Berlin", recurring_share: float = 0.6) -> str:
    """n VEVENTs: `recurring_share` of them series (some with a moved and an excluded instance), the rest
    single meetings, spread over a year around NOW."""
    rng = random.Random(seed)  # noqa: S311 - a seeded scenario, not a secret
    out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//slotwise//bench//EN"]
    for i in range(n):
        start = NOW - timedelta(days=120) + timedelta(minutes=15 * rng.randrange(365 * 96))
        local = start.strftime("%Y%m%dT%H%M00")
        end = (start + timedelta(minutes=rng.choice((15, 30, 45, 60, 90)))).strftime("%Y%m%dT%H%M00")
        ev = [
            "BEGIN:VEVENT",
            f"UID:bench-{seed}-{i}",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID={zone}:{local}",
            f"DTEND;TZID={zone}:{end}",
            f"SUMMARY:Meeting {i}",
        ]
        recurring = rng.random() < recurring_share
        if recurring:
            until = (start + timedelta(days=200)).strftime("%Y%m%dT%H%M%SZ")
            ev.append("RRULE:" + rng.choice(RULES).format(until=until))
            if rng.random() < 0.3:
                ev.append(f"EXDATE;TZID={zone}:{(start + timedelta(days=7)).strftime('%Y%m%dT%H%M00')}")
        if rng.random() < 0.05:
            ev.append("TRANSP:TRANSPARENT")
        ev.append("END:VEVENT")
        out += ev
        if recurring and rng.random() < 0.1:
            moved = start + timedelta(days=14)
            out += [
                "BEGIN:VEVENT",
                f"UID:bench-{seed}-{i}",
                "DTSTAMP:20260101T000000Z",
                f"RECURRENCE-ID;TZID={zone}:{moved.strftime('%Y%m%dT%H%M00')}",
                f"DTSTART;TZID={zone}:{(moved + timedelta(hours=2)).strftime('%Y%m%dT%H%M00')}",
                f"DTEND;TZID={zone}:{(moved + timedelta(hours=3)).strftime('%Y%m%dT%H%M00')}",
                "END:VEVENT",
            ]
    out.append("END:VCALENDAR")
    return "\r\n".join(out) + "\r\n"


class Feeds:
    """path -> bytes, served on 127.0.0.1 (no conditional GET: every sync is a full one)."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = feeds.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup_django(tmp: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slotwise.config.settings")
    if os.environ.get("SLOTWISE_BENCH_CHILD") != "1":
        # Run by hand (python -m slotwise.bench.sync): a scratch database of its own, never the instance's.
        # `slotwise bench sync` has already given this process its own directory and database.
        os.environ["SLOTWISE_DATA_DIR"] = tmp
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("SLOTWISE_LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[18] if len(times) > 1 else times[0]


def _time_sync(conn, runs: int, reset) -> tuple[float, float, float, int, int]:
    """(median seconds, p95 seconds, peak MiB, busy rows, errors) of full syncs of `conn`."""
    from slotwise.calendars.sync import sync_connection

    times, result = [], None
    for _ in range(runs):
        reset()
        t = clock.perf_counter()
        result = sync_connection(connection=conn, now=NOW)
        times.append(clock.perf_counter() - t)
        if not result.ok:
            raise SystemExit(f"sync failed: {result.errors[:3]}")
    reset()
    tracemalloc.start()
    sync_connection(connection=conn, now=NOW)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), _p95(times), peak, result.busy_written, len(result.errors)


def bench_ics(host, feeds: Feeds, n: int, runs: int) -> None:
    from slotwise.calendars.models import RemoteCalendar
    from slotwise.calendars.services import connection_add_ics
    from slotwise.calendars.sync import sync_connection

    text = calendar_text(n, seed=1).encode()
    feeds.files["/big.ics"] = text
    conn = connection_add_ics(membership=host, url=feeds.base + "/big.ics", now=NOW)

    def reset():
        RemoteCalendar.objects.filter(connection=conn).update(etag="", last_modified="", expanded_at=None)

    med, p95, peak, rows, errors = _time_sync(conn, runs, reset)
    print(
        f"ics feed   {n:>6} events ({len(text) / 2**20:.1f} MiB): full sync median {med:6.2f} s   p95 {p95:6.2f} s   "
        f"peak {peak:6.1f} MiB   {rows} busy intervals, {errors} import errors"
    )
    # Steady state: the poller fetches the same bytes again (a server without 304), nothing is re-read.
    times = []
    for _ in range(max(runs, 10)):
        t = clock.perf_counter()
        sync_connection(connection=conn, now=NOW)
        times.append(clock.perf_counter() - t)
    print(
        f"ics feed   re-sync of the unchanged feed (same hash): median {statistics.median(times) * 1000:7.1f} ms   "
        f"p95 {_p95(times) * 1000:7.1f} ms   ({len(times)} runs)"
    )


def _write_radicale_items(folder: Path, text: str) -> None:
    head, _, body = text.partition("BEGIN:VEVENT")
    body = "BEGIN:VEVENT" + body.rsplit("END:VCALENDAR", 1)[0]
    by_uid: dict[str, list[str]] = {}
    for block in body.split("BEGIN:VEVENT")[1:]:
        uid = block.split("UID:", 1)[1].split("\r\n", 1)[0]
        by_uid.setdefault(uid, []).append("BEGIN:VEVENT" + block)
    for uid, blocks in by_uid.items():
        (folder / f"{uid}.ics").write_text(head + "".join(blocks) + "END:VCALENDAR\r\n", newline="")


def bench_caldav(host, n: int, runs: int) -> None:
    from slotwise.calendars.models import RemoteCalendar, RemoteEvent
    from slotwise.calendars.services import connection_add_caldav
    from slotwise.calendars.sync import sync_connection

    port = _free_port()
    folder = tempfile.mkdtemp(prefix="bench-radicale-")
    proc = subprocess.Popen(  # noqa: S603 - a local Radicale from this venv, no shell
        [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--auth-type",
            "none",
            "--storage-filesystem-folder",
            folder,
            "--logging-level",
            "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/"
        from slotwise.core import outbound

        def dav(method, url, **kw):
            # The bench plays the host's own calendar app against a Radicale on loopback.
            return outbound.request(method, url, purpose="Benchmark Radicale", auth=("bench", "x"), **kw)

        for _ in range(100):
            try:
                dav("GET", base, timeout=0.2)
                break
            except outbound.OutboundError:
                clock.sleep(0.05)
        dav("MKCALENDAR", base + "bench/work/")
        # Uploading 10 000 objects over HTTP takes Radicale many minutes (it validates and indexes each
        # one), so they are written straight into its file storage, one object per UID, as it stores them.
        _write_radicale_items(Path(folder) / "collection-root" / "bench" / "work", calendar_text(n, seed=2))
        conn = connection_add_caldav(membership=host, url=base, username="bench", password="x", now=NOW)  # noqa: S106 - a local test server's
        t = clock.perf_counter()
        sync_connection(connection=conn, now=NOW)  # Radicale parses and caches every object on first read
        warm = clock.perf_counter() - t

        def reset():
            RemoteEvent.objects.filter(calendar__connection=conn).delete()
            RemoteCalendar.objects.filter(connection=conn).update(sync_token="", expanded_at=None)

        med, p95, peak, rows, errors = _time_sync(conn, runs, reset)
        print(
            f"caldav     {n:>6} events (Radicale; first sync incl. its cache build {warm:.1f} s): full sync median {med:6.2f} s   p95 {p95:6.2f} s   "
            f"peak {peak:6.1f} MiB   {rows} busy intervals, {errors} import errors"
        )
        # one edit, then an incremental sync (sync-collection + multiget of one object)
        dav(
            "PUT",
            base + "bench/work/edited.ics",
            data=calendar_text(1, seed=99).encode(),
            headers={"Content-Type": "text/calendar"},
        )
        t = clock.perf_counter()
        result = sync_connection(connection=conn, now=NOW)
        print(
            f"caldav     incremental sync after 1 new event: {clock.perf_counter() - t:6.3f} s   changed {result.changed}"
        )
    finally:
        proc.kill()
        proc.wait()


def bench_s2(org, feeds: Feeds, runs: int, events_per_host: int) -> None:
    from slotwise.accounts.models import Membership, Team, User
    from slotwise.bookings.availability import event_availability
    from slotwise.calendars.services import connection_add_ics
    from slotwise.calendars.sync import sync_connection
    from slotwise.scheduling.models import AvailabilitySchedule, BusyBlock, EventType, PoolHost

    weekly = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    team = Team.objects.create(organization=org, slug="s2", name="S2", timezone="UTC")
    et = EventType.objects.create(
        organization=org,
        team=team,
        slug="rr",
        name="Support call",
        kind="round_robin",
        duration_minutes=30,
        increment_minutes=30,
        window_kind="unlimited",
    )
    t = clock.perf_counter()
    for i in range(100):
        zone = ZONES[i % len(ZONES)]
        user = User.objects.create_user(f"s2-{i}@example.org", None)
        m = Membership.objects.create(organization=org, user=user, slug=f"s2-{i}")
        AvailabilitySchedule.objects.create(organization=org, owner=m, timezone=zone, weekly=weekly, is_default=True)
        PoolHost.objects.create(event_type=et, membership=m)
        team.members.add(m)
        feeds.files[f"/s2/{i}.ics"] = calendar_text(events_per_host, seed=1000 + i, zone=zone).encode()
        conn = connection_add_ics(membership=m, url=f"{feeds.base}/s2/{i}.ics", now=NOW)
        sync_connection(connection=conn, now=NOW)
    setup = clock.perf_counter() - t
    busy = BusyBlock.objects.filter(membership__pools__event_type=et).count()
    start, end = NOW, NOW + timedelta(days=31)
    times = []
    for _ in range(runs):
        t = clock.perf_counter()
        res = event_availability(event_type=et, start=start, end=end, viewer_zone="America/New_York", now=NOW)
        times.append(clock.perf_counter() - t)
    slots = sum(len(v) for v in res.days.values())
    print(
        f"S2 availability: 100 round-robin hosts, 12 zones, 31 days, {busy} synced busy intervals "
        f"({events_per_host} calendar events per host, synced in {setup:.1f} s total)"
    )
    print(
        f"           query median {statistics.median(times) * 1000:8.1f} ms   min {min(times) * 1000:8.1f} ms   "
        f"{slots} start times offered   ({runs} runs)"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="slotwise bench sync", description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=10_000, help="events in the big calendar (default 10000)")
    p.add_argument("--runs", type=int, default=3, help="timed runs per figure (median reported)")
    p.add_argument("--s2-events", type=int, default=100, help="calendar events per S2 host (default 100)")
    p.add_argument(
        "--caldav-events",
        type=int,
        default=500,
        help="events in the CalDAV calendar served by Radicale (default 500; 0 skips it). Radicale "
        "itself needs minutes to index thousands of objects on first read",
    )
    args = p.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="slotwise-bench-sync-")
    _setup_django(tmp)
    from django.conf import settings

    settings.SLOTWISE_CALENDAR_HTTP_TIMEOUT = 900  # Radicale's first read of a large collection is slow
    from slotwise.accounts.models import Membership, Organization, User
    from slotwise.scheduling.models import AvailabilitySchedule

    org = Organization.objects.create(slug=f"bench-{os.getpid()}", name="Bench")
    user = User.objects.create_user(f"bench-{os.getpid()}@example.org", None)
    host = Membership.objects.create(organization=org, user=user, slug="host")
    AvailabilitySchedule.objects.create(
        organization=org, owner=host, timezone="Europe/Berlin", weekly={}, is_default=True
    )
    feeds = Feeds()
    print(
        f"slotwise bench sync   (window {NOW:%Y-%m-%d} + 180 days, database {os.environ.get('DATABASE_URL') or 'SQLite in ' + tmp})"
    )
    bench_ics(host, feeds, args.events, args.runs)
    if args.caldav_events:
        bench_caldav(host, args.caldav_events, args.runs)
    bench_s2(org, feeds, max(args.runs, 5), args.s2_events)
    feeds.server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
