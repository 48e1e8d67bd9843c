"""Booking page benchmark: server time to render a booking page (month calendar + one day's times),
median and p95 in milliseconds, through Django's test Client against a temporary SQLite database.

S1: one host, 60-day rolling window, 30-minute meetings every 15 minutes, 10/10 buffers, 500 busy blocks.
S2: a round-robin pool of 100 hosts in 12 zones, 31-day window, 200 busy blocks each.

    .venv/bin/python -m slotwise.bench.pages [--runs 30] [--seed 7]      (or: slotwise bench pages)

Building the data is not timed; the first (cold) request of each scenario is reported apart from the
timed warm ones. Each request is a full page GET with a chosen date, as an invitee who picked a day sees it;
"page KB" is the size of that HTML (what the invitee downloads before the first time shows).

S2 also times the fragment a click on a day asks for (htmx, #times: one day's times), and the availability
path alone (bookings.availability.event_availability for the month view and for one day), uncached and
through the busy-time cache, in the same run. "ok" compares the CPU median with the goal.
"""

from __future__ import annotations

import argparse
import calendar
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time as clock
from datetime import date, timedelta
from functools import partial

from slotwise.bench.engine import NOW, ZONES  # S2's clock and zones: one definition for every bench

WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
GOALS_MS = {"S1": 50, "S2": 120}
# Issue 14: the booking page's availability path, S2, in CPU milliseconds (month view and one day's times).
PATH_GOAL_MS = 10
S2_DAY = date(2026, 10, 20)


def main(argv=None) -> int:
    args = _parse(argv)
    if os.environ.get("SLOTWISE_BENCH_CHILD") != "1":
        # A fresh process, so the scenario's temporary SQLite database is the only one Django ever sees
        # (`slotwise bench pages` runs inside a configured Django).
        with tempfile.TemporaryDirectory(prefix="slotwise-bench-") as tmp:
            env = {
                **os.environ,
                "SLOTWISE_BENCH_CHILD": "1",
                "SLOTWISE_DATA_DIR": tmp,
                "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                "DJANGO_SETTINGS_MODULE": "slotwise.config.settings",
                "SLOTWISE_LOG_LEVEL": "ERROR",
                "REDIS_URL": "",
            }
            cmd = [sys.executable, "-m", "slotwise.bench.pages", "--runs", str(args.runs), "--seed", str(args.seed)]
            return subprocess.call(cmd, env=env)  # noqa: S603 - our own command line, no shell
    return _run(args)


def _parse(argv):
    p = argparse.ArgumentParser(prog="slotwise bench pages", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=30, help="timed requests per scenario (default 30)")
    p.add_argument("--seed", type=int, default=7)
    return p.parse_args(argv)


def _run(args) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    import slotwise.web.public as public
    import slotwise.web.ratelimit as ratelimit

    call_command("migrate", verbosity=0, interactive=False)
    settings.SLOTWISE_WEB_RATE_LIMIT = 0  # the page's own work, not the limiter's counter
    settings.ALLOWED_HOSTS = ["*"]
    public.utc_now = ratelimit.utc_now = lambda: NOW
    rng = random.Random(args.seed)  # noqa: S311 - a seeded scenario, not a secret
    scenarios = [_s1(rng), _s2(rng)]
    print(
        f"booking page render, {args.runs} warm requests each (Django test Client, SQLite, now={NOW:%Y-%m-%dT%H:%MZ})"
    )
    print(machine())
    # CPU time beside wall time: on a shared, loaded machine the wall figures mostly measure waiting.
    print(
        f"{'scenario':<52} {'cold ms':>8} {'median ms':>10} {'p95 ms':>8} {'cpu med ms':>11} {'cpu p95 ms':>11}"
        f" {'goal ms':>8} {'page KB':>8}  ok"
    )
    for name, label, url in scenarios:
        client = Client()
        resp = client.get(url)
        if resp.status_code != 200 or b'class="slot"' not in resp.content:
            print(f"{name}: the page did not render slots (HTTP {resp.status_code})", file=sys.stderr)
            return 1
        rows = [(f"{name} {label}", GOALS_MS[name], partial(client.get, url))]
        if name == "S2":
            rows += _s2_rows(client, url)
        for title, goal, run in rows:
            cold, times, cpu, size = _measure(run, args.runs)
            ok = statistics.median(cpu) <= goal if goal else True
            print(
                f"{title:<52} {cold:>8.1f} {statistics.median(times):>10.1f} {_p95(times):>8.1f}"
                f" {statistics.median(cpu):>11.1f} {_p95(cpu):>11.1f} {goal or '':>8} {size:>8}"
                f"  {'yes' if ok else 'NO'}"
            )
    return 0


def machine() -> str:
    """The machine line every bench prints: on a loaded machine, wall figures mostly measure waiting."""
    load = os.getloadavg()[0]
    busy = " (busy: figures are inflated)" if load > (os.cpu_count() or 1) else ""
    return f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at start{busy}"


def _s2_rows(client, url):
    """S2's one-day fragment (what a click on a day asks for), and the availability path alone (what the
    month view and the fragment ask of bookings.availability), read uncached and through the busy-time
    cache: the first two show the ORM read the cache replaces, in the same run."""
    from slotwise.bookings.availability import event_availability
    from slotwise.scheduling import selectors
    from slotwise.scheduling.models import EventType

    et = EventType.objects.select_related("organization", "team").get(slug="rr", organization__slug="s2")
    zone = "Europe/Berlin"
    last = NOW.date().replace(day=calendar.monthrange(NOW.year, NOW.month)[1])
    month = selectors.local_range(NOW.date(), last, zone)  # what month_view asks for the rest of the month
    day = selectors.local_range(S2_DAY, S2_DAY, zone)

    def path(span, cached):
        lo, hi = span
        return lambda: event_availability(
            event_type=et, start=max(lo, NOW), end=hi, viewer_zone=zone, now=NOW, cached=cached
        )

    return [
        (
            "S2 times fragment, one day (htmx)",
            None,
            lambda: client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="times"),
        ),
        ("S2 path: month, uncached (the ORM read)", None, path(month, False)),
        ("S2 path: month, busy-time cache", PATH_GOAL_MS, path(month, True)),
        ("S2 path: one day, uncached (the ORM read)", None, path(day, False)),
        ("S2 path: one day, busy-time cache", PATH_GOAL_MS, path(day, True)),
    ]


def _measure(run, runs: int):
    """(cold ms, wall ms per warm run, CPU ms per warm run, response KB or "")."""
    t0 = clock.perf_counter()
    first = run()
    cold = (clock.perf_counter() - t0) * 1000
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = clock.perf_counter(), clock.process_time()
        run()
        times.append((clock.perf_counter() - t0) * 1000)
        cpu.append((clock.process_time() - c0) * 1000)
    content = getattr(first, "content", None)
    return cold, times, cpu, "" if content is None else f"{len(content) / 1024:.1f}"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _busy_blocks(org, member, rng, count, days, *, since=NOW):
    from slotwise.scheduling.models import BusyBlock

    blocks = []
    for _ in range(count):
        start = since + timedelta(minutes=15 * rng.randrange(days * 96))
        blocks.append(
            BusyBlock(
                organization=org,
                membership=member,
                start=start,
                end=start + timedelta(minutes=15 * rng.randint(1, 8)),
                source="bench",
            )
        )
    return blocks


def member(org, slug, zone):
    from slotwise.accounts.models import Membership, User
    from slotwise.scheduling.models import AvailabilitySchedule

    user = User.objects.create_user(f"{slug}@bench.test", None, name=slug.title(), timezone=zone)
    m = Membership.objects.create(organization=org, user=user, slug=slug)
    AvailabilitySchedule.objects.create(organization=org, owner=m, timezone=zone, weekly=WEEKDAYS, is_default=True)
    return m


def _s1(rng):
    from slotwise.accounts.models import Organization
    from slotwise.scheduling.models import BusyBlock, EventType

    org = Organization.objects.create(slug="s1", name="S1")
    host = member(org, "solo", "Europe/Berlin")
    BusyBlock.objects.bulk_create(_busy_blocks(org, host, rng, 500, 60))
    EventType.objects.create(
        organization=org,
        owner=host,
        slug="call",
        name="Call",
        duration_minutes=30,
        increment_minutes=15,
        buffer_before_minutes=10,
        buffer_after_minutes=10,
        window_kind="rolling",
        window_days=60,
    )
    return "S1", "1 host, 60 days, 500 busy", "/s1/solo/call/?tz=America/New_York&date=2026-10-20"


def _s2(rng):
    from slotwise.accounts.models import Organization

    org = Organization.objects.create(slug="s2", name="S2")
    s2_pool(org, rng, since=NOW)
    return "S2", "100 hosts / 12 zones, 31 days, 200 busy each", f"/s2/team/pool/rr/?tz=Europe/Berlin&date={S2_DAY}"


def s2_pool(org, rng, *, since, hosts=100, busy=200, team="pool", slug="rr"):
    """S2: a round-robin pool of `hosts` members in 12 zones, `busy` busy blocks each over the 31 days from
    `since`; returns the event type and its members. `slotwise bench load` seeds the same pool."""
    from slotwise.accounts.models import Team
    from slotwise.scheduling.models import BusyBlock

    members = [member(org, f"h{i:03d}", ZONES[i % len(ZONES)]) for i in range(hosts)]
    blocks = []
    for m in members:
        blocks.extend(_busy_blocks(org, m, rng, busy, 31, since=since))
    BusyBlock.objects.bulk_create(blocks, batch_size=2000)
    pool = Team.objects.create(organization=org, slug=team, name=team.title(), timezone="UTC")
    pool.members.set(members)
    return round_robin(org, pool, members, slug=slug), members


def round_robin(org, team, members, *, slug, window_days=31):
    """A round-robin event type of `team` over `members`: 30 minutes every 15, 10/10 buffers."""
    from slotwise.scheduling.models import EventType, PoolHost

    et = EventType.objects.create(
        organization=org,
        team=team,
        slug=slug,
        name="Round robin",
        kind="round_robin",
        duration_minutes=30,
        increment_minutes=15,
        buffer_before_minutes=10,
        buffer_after_minutes=10,
        window_kind="rolling",
        window_days=window_days,
    )
    PoolHost.objects.bulk_create([PoolHost(event_type=et, membership=m, priority=i % 5) for i, m in enumerate(members)])
    return et


if __name__ == "__main__":
    sys.exit(main())
