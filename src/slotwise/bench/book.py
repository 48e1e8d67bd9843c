"""Booking write benchmark: bookings/s across a round-robin pool, and how long the losers of a race for
one slot wait for their answer, through `bookings.services.booking_create` on real database connections.

    slotwise bench book [--database-url postgres://USER@HOST:PORT/DB] [--hosts 200] [--threads 8]
                        [--bookings 400] [--racers 500] [--race-workers 16]

With --database-url (or SLOTWISE_BENCH_DATABASE_URL), a scratch database `slotwise_bench_<pid>` is created
on that PostgreSQL server and dropped afterwards; without it, a temporary SQLite file. Either way it runs
in a child process, so the instance's own database is never touched.

Each figure is taken twice in the same run, on fresh data of the same shape:
- before: the old discipline, the whole pool's rows locked and availability read inside the write
  transaction (`lock_hosts(pool)` around `booking_create` in one transaction);
- after: `booking_create` as it is (availability outside, one host locked per attempt).
Sustained: `--threads` threads book `--bookings` times into a `--hosts`-host round-robin pool (12 zones,
weekdays 09:00-17:00), several bookings per start. Race: `--racers` attempts at one slot of a one-host
event, released at once onto `--race-workers` connections (a web server's worker pool): exactly one is
created; "answered" is the time until the last racer has its answer.
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time as clock
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from slotwise.bench.engine import NOW, ZONES  # one clock and one set of zones for every bench
from slotwise.bench.pages import machine

WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
GOALS = {"bookings/s": 150, "race answered s": 2.0}


def main(argv=None) -> int:
    args = _parse(argv)
    # Its own child, not `slotwise bench`'s (which marks "1"): --database-url still names the server then.
    if os.environ.get("SLOTWISE_BENCH_CHILD") == "book":
        return _run(args)
    # A fresh process with a scratch database: `slotwise bench book` runs inside a configured Django.
    url = args.database_url or os.environ.get("SLOTWISE_BENCH_DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="slotwise-bench-") as tmp:
        scratch = _scratch_postgres(url) if url else f"sqlite:///{tmp}/bench.sqlite3"
        env = {
            **os.environ,
            "SLOTWISE_BENCH_CHILD": "book",
            "SLOTWISE_DATA_DIR": tmp,
            "DATABASE_URL": scratch,
            "DJANGO_SETTINGS_MODULE": "slotwise.config.settings",
            "SLOTWISE_LOG_LEVEL": "ERROR",
            "REDIS_URL": "",
        }
        cmd = [sys.executable, "-m", "slotwise.bench.book", *(argv if argv is not None else sys.argv[1:])]
        try:
            return subprocess.call(cmd, env=env)  # noqa: S603 - our own command line, no shell
        finally:
            if url:
                _drop_postgres(url, scratch)


def _parse(argv):
    p = argparse.ArgumentParser(prog="slotwise bench book", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default="", help="a PostgreSQL server to make a scratch database on")
    p.add_argument("--hosts", type=int, default=200, help="hosts in the round-robin pool (default 200)")
    p.add_argument("--threads", type=int, default=8, help="booking threads, sustained (default 8)")
    p.add_argument("--bookings", type=int, default=400, help="bookings per sustained run (default 400)")
    p.add_argument("--racers", type=int, default=500, help="attempts at one slot (default 500)")
    p.add_argument("--race-workers", type=int, default=16, help="connections the racers share (default 16)")
    return p.parse_args(argv)


def _server_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_server_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _scratch_postgres(url: str) -> str:
    name = f"slotwise_bench_{os.getpid()}"
    _admin(url, f'CREATE DATABASE "{name}"')
    return _server_url(url, name)


def _drop_postgres(url: str, scratch: str) -> None:
    _admin(url, f'DROP DATABASE IF EXISTS "{urlsplit(scratch).path.lstrip("/")}" WITH (FORCE)')


def _run(args) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    print(
        f"slotwise bench book: {connection.vendor}, {args.hosts}-host round-robin pool, {args.threads} threads x "
        f"{args.bookings} bookings; {args.racers} racers for one slot on {args.race_workers} connections"
    )
    print(machine())
    print(
        f"{'figure':<34} {'before':>10} {'after':>10} {'ratio':>7}   "
        f"{'latency median/p95 ms, before':>30} {'after':>16}  {'goal':>6}"
    )
    failed = False
    for label, goal, measure in (
        ("sustained bookings/s", GOALS["bookings/s"], lambda old: _sustained(args, old)),
        ("race: all answered, s", GOALS["race answered s"], lambda old: _race(args, old)),
    ):
        before, after = measure(True), measure(False)
        failed = failed or not (before.ok and after.ok)
        higher_better = label.startswith("sustained")
        ratio = after.figure / before.figure if before.figure else float("nan")
        met = after.figure >= goal if higher_better else after.figure <= goal
        print(
            f"{label:<34} {before.figure:>10.2f} {after.figure:>10.2f} {ratio:>6.2f}x   "
            f"{before.median:>21.1f} / {before.p95:<7.1f} {after.median:>7.1f} / {after.p95:<7.1f}"
            f" {goal:>6} {'yes' if met else 'NO'}"
        )
        for name, r in (("before", before), ("after", after)):
            print(f"    {name}: {r.note}")
    return 1 if failed else 0


class _Result:
    def __init__(self, figure: float, latencies: list[float], ok: bool, note: str):
        latencies = sorted(latencies) or [0.0]
        self.figure, self.ok, self.note = figure, ok, note
        self.median = statistics.median(latencies)
        self.p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]


def _drive(jobs: list[Callable], threads: int) -> tuple[list, list[float], float, float]:
    """Run the jobs on `threads` threads, each with its own connection, released together. Returns each
    job's outcome (the value or the exception), the jobs' latencies in ms, the wall time in seconds and
    this process's CPU milliseconds per job (the database server's own CPU is not in it)."""
    from django.db import connections

    todo: queue.SimpleQueue = queue.SimpleQueue()
    for i, job in enumerate(jobs):
        todo.put((i, job))
    outcomes: list = [None] * len(jobs)
    latencies = [0.0] * len(jobs)
    go = threading.Barrier(threads + 1)

    def work():
        try:
            go.wait()
            while True:
                try:
                    i, job = todo.get_nowait()
                except queue.Empty:
                    return
                t0 = clock.perf_counter()
                try:
                    outcomes[i] = job()
                except Exception as exc:  # noqa: BLE001 - every outcome is counted
                    outcomes[i] = exc
                latencies[i] = (clock.perf_counter() - t0) * 1000
        finally:
            connections.close_all()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    go.wait()
    t0, c0 = clock.perf_counter(), clock.process_time()
    for t in pool:
        t.join()
    cpu = (clock.process_time() - c0) * 1000 / max(1, len(jobs))
    return outcomes, latencies, clock.perf_counter() - t0, cpu


def _book(event_type, start, n: int, pool: list | None):
    """One booking; pool: the old discipline, every pool row locked first, in one write transaction."""
    from django.db import transaction

    from slotwise.bookings.services import InviteeInput, booking_create, lock_hosts

    def book():
        return booking_create(
            event_type=event_type,
            start=start,
            now=NOW,
            invitee=InviteeInput(name=f"Bench {n}", email=f"bench{n}@example.org", timezone="Europe/Berlin"),
            source="cli",
        )

    if pool is None:
        return book

    def old():
        with transaction.atomic():
            lock_hosts(pool)
            return book()

    return old


def _world(tag: str, hosts: int):
    """An organization with a round-robin pool of `hosts` in 12 zones and a one-host event of its first."""
    from slotwise.accounts.models import Membership, Organization, User
    from slotwise.scheduling.models import AvailabilitySchedule, EventType, Team

    org = Organization.objects.create(slug=f"bench-{tag}", name=f"Bench {tag}")
    users = User.objects.bulk_create(
        [
            User(email=f"{tag}-h{i:03d}@bench.test", name=f"H{i:03d}", timezone=ZONES[i % len(ZONES)])
            for i in range(hosts)
        ]
    )
    members = Membership.objects.bulk_create(
        [Membership(organization=org, user=u, slug=f"h{i:03d}") for i, u in enumerate(users)]
    )
    AvailabilitySchedule.objects.bulk_create(
        [
            AvailabilitySchedule(organization=org, owner=m, timezone=u.timezone, weekly=WEEKDAYS, is_default=True)
            for m, u in zip(members, users, strict=True)
        ]
    )
    team = Team.objects.create(organization=org, slug="pool", name="Pool", timezone="UTC")
    team.members.set(members)
    common = {"organization": org, "duration_minutes": 30, "increment_minutes": 30, "window_kind": "unlimited"}
    rr = EventType.objects.create(team=team, slug="rr", name="Round robin", kind="round_robin", **common)
    solo = EventType.objects.create(owner=members[0], slug="solo", name="Solo", **common)
    return rr, solo, members


_SEQ = iter(range(1_000_000))


def _sustained(args, old: bool) -> _Result:
    from slotwise.bookings.models import BookingHost
    from slotwise.core.errors import SlotUnavailable

    rr, _, members = _world(f"s{next(_SEQ)}", args.hosts)
    # Weekday half hours from the next Monday on, each wanted by about eight bookings at once.
    first = (NOW + timedelta(days=7 - NOW.weekday())).replace(hour=0, minute=0)
    starts = [first + timedelta(days=d, minutes=30 * k) for d in range(5) for k in range(48) if (d * 48 + k) % 3 == 0]
    jobs = [_book(rr, starts[(n // 8) % len(starts)], n, members if old else None) for n in range(args.bookings)]
    outcomes, latencies, wall, cpu = _drive(jobs, args.threads)
    made = sum(not isinstance(o, Exception) for o in outcomes)
    refused = sum(isinstance(o, SlotUnavailable) for o in outcomes)
    other = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, SlotUnavailable)]
    overlaps = _overlaps(BookingHost, [m.pk for m in members])
    note = f"{made} created, {refused} refused, {len(other)} other errors, {overlaps} overlapping blocks, {wall:.2f} s, CPU {cpu:.1f} ms a booking"
    if other:
        note += f" (first: {other[0]!r})"
    return _Result(
        made / wall,
        [x for x, o in zip(latencies, outcomes, strict=True) if o is not None],
        not other and not overlaps,
        note,
    )


def _race(args, old: bool) -> _Result:
    from slotwise.core.errors import SlotUnavailable

    _, solo, members = _world(f"r{next(_SEQ)}", 1)
    start = (NOW + timedelta(days=8 - NOW.weekday())).replace(hour=10, minute=0)  # a Tuesday, 10:00
    jobs = [_book(solo, start, n, members if old else None) for n in range(args.racers)]
    outcomes, latencies, wall, cpu = _drive(jobs, min(args.race_workers, args.racers))
    made = sum(not isinstance(o, Exception) for o in outcomes)
    refused = sum(isinstance(o, SlotUnavailable) for o in outcomes)
    ok = made == 1 and refused == args.racers - 1
    return _Result(
        wall, latencies, ok, f"{made} created, {refused} clean refusals of {args.racers}, CPU {cpu:.1f} ms an attempt"
    )


def _overlaps(model, member_ids: list[int]) -> int:
    """Pairs of active blocks of one host that overlap (the guard makes this 0), counted in Python."""
    count = 0
    rows = model.objects.filter(membership_id__in=member_ids, active=True).order_by("membership_id", "block_start")
    last: dict[int, object] = {}
    for member, lo, hi in rows.values_list("membership_id", "block_start", "block_end"):
        if member in last and last[member] > lo:
            count += 1
        last[member] = max(hi, last.get(member, hi))
    return count


if __name__ == "__main__":
    sys.exit(main())
