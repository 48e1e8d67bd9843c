"""Notification latency: time from a booking's commit to its invitation being accepted by an SMTP server.

The default local setup: SQLite, one `slotwise worker` process (as `slotwise serve` runs it), a real SMTP
server (aiosmtpd) on 127.0.0.1. Bookings arrive one after another (--gap seconds apart); for each, the clock
starts when booking_create returns (the transaction has committed) and stops when the SMTP server accepts
the invitee's email (and, separately, the host's). Emails that arrive more than once are counted: with
several workers, a slow SMTP server (--smtp-delay) and a short lease (--lease), that is a job run twice.

    .venv/bin/python -m slotwise.bench.notify [--bookings 200] [--gap 0.05] [--workers 1] [--database-url URL]
    Redis wake-ups: --wake redis --redis-url redis://127.0.0.1:6379/0
    Jobs run twice?  --bookings 50 --gap 0 --workers 2 --smtp-delay 0.3 --lease 8
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta

from slotwise.bench import _workers


class Accepted:
    def __init__(self, delay: float = 0.0):
        self.at: dict[str, list[float]] = {}
        self.lock = threading.Lock()
        self.delay = delay
        self.messages = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        t = time.time()
        with self.lock:
            self.messages += 1
            for rcpt in envelope.rcpt_tos:
                self.at.setdefault(rcpt, []).append(t)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="slotwise bench notify", description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between bookings (default 0.05)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--concurrency", type=int, default=1, help="threads per worker process (default 1)")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument(
        "--wake",
        default="database",
        choices=["database", "redis"],
        help="how idle workers hear of new jobs (SLOTWISE_JOBS_WAKE; default database)",
    )
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--smtp-delay", type=float, default=0.0, help="seconds the SMTP server takes per message")
    parser.add_argument("--lease", type=float, default=0.0, help="SLOTWISE_JOBS_LEASE_SECONDS for the workers")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args(argv)

    from aiosmtpd.controller import Controller

    tmp = tempfile.mkdtemp(prefix="slotwise-bench-notify-")
    port = free_port()
    accepted = Accepted(args.smtp_delay)
    smtp = Controller(accepted, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {
        "SLOTWISE_DATA_DIR": tmp,
        "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.sqlite3",
        "SLOTWISE_SMTP_HOST": "127.0.0.1",
        "SLOTWISE_SMTP_PORT": str(port),
        "DJANGO_SETTINGS_MODULE": "slotwise.config.settings",
        "SLOTWISE_LOG_LEVEL": "WARNING",
    }
    env["SLOTWISE_JOBS_WAKE"] = args.wake
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    if args.lease:
        env["SLOTWISE_JOBS_LEASE_SECONDS"] = f"{args.lease:g}"
    os.environ.update(env)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if args.wake == "redis":
        from slotwise.jobs import wake

        wake.clear_redis()

    from slotwise.accounts.models import Membership, Organization, User
    from slotwise.bookings.services import InviteeInput, booking_create
    from slotwise.core.clock import utc_now
    from slotwise.scheduling.models import AvailabilitySchedule, EventType

    org = Organization.objects.create(slug=f"bench{int(time.time())}", name="Bench")
    user = User.objects.create_user(f"host-{org.slug}@bench.example", None, name="Bench Host")
    host = Membership.objects.create(organization=org, user=user, slug="host")
    all_day = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    AvailabilitySchedule.objects.create(organization=org, owner=host, timezone="UTC", weekly=all_day, is_default=True)
    et = EventType.objects.create(
        organization=org,
        owner=host,
        slug="call",
        name="Call",
        duration_minutes=15,
        increment_minutes=15,
        window_kind=EventType.WindowKind.UNLIMITED,
    )

    workers = _workers.start(args.workers, args.concurrency)
    try:
        # Start the clock only once every worker is up (Django start-up takes seconds on a busy machine): each
        # takes one ping job (no handler: it fails at once) after its start-up.
        from slotwise.jobs.models import Job
        from slotwise.jobs.services import enqueue

        pings = [enqueue("bench.ping", {}, max_attempts=1).pk for _ in range(args.workers)]
        ping_deadline = time.monotonic() + 120
        while Job.objects.filter(pk__in=pings, status=Job.Status.PENDING).exists():
            if time.monotonic() > ping_deadline:
                raise SystemExit("the workers did not start within 120 s")
            time.sleep(0.1)
        start0 = (utc_now() + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        committed: dict[str, float] = {}
        for i in range(args.bookings):
            email = f"invitee{i}@bench.example"
            booking_create(
                event_type=et,
                start=start0 + timedelta(minutes=15 * i),
                now=utc_now(),
                invitee=InviteeInput(name=f"Invitee {i}", email=email, timezone="Europe/Berlin"),
            )
            committed[email] = time.time()
            if args.gap:
                time.sleep(args.gap)
        deadline = time.monotonic() + args.timeout
        host_email = user.email
        while time.monotonic() < deadline:
            with accepted.lock:
                done = sum(1 for e in committed if e in accepted.at)
                hosts = len(accepted.at.get(host_email, []))
            if done == len(committed) and hosts >= len(committed):
                break
            time.sleep(0.05)
        if args.smtp_delay:
            time.sleep(max(2.0, 3 * args.smtp_delay))  # a duplicate still in flight is counted too
    finally:
        _workers.stop(workers)
        smtp.stop()

    invitee_ms = [(accepted.at[e][0] - t) * 1000 for e, t in committed.items() if e in accepted.at]
    host_times = sorted(accepted.at.get(host_email, []))
    commits = sorted(committed.values())
    host_ms = [(h - c) * 1000 for h, c in zip(host_times, commits, strict=False)]
    db = "sqlite" if env["DATABASE_URL"].startswith("sqlite") else env["DATABASE_URL"].split(":", 1)[0]
    print(
        f"notify: {args.bookings} bookings, {args.gap}s apart; {args.workers} worker(s) x {args.concurrency} "
        f"thread(s); db={db}; wake={args.wake}"
    )
    if len(invitee_ms) < len(committed):
        print(f"  MISSING: {len(committed) - len(invitee_ms)} invitation(s) not accepted within {args.timeout}s")
    owed = 2 * len(committed)
    print(f"  emails owed {owed}, messages accepted {accepted.messages} ({accepted.messages - owed} duplicate(s))")
    for label, values in (("invitee invitation", invitee_ms), ("host notice", host_ms)):
        if values:
            print(
                f"  {label:20s} commit -> SMTP accepted: median {statistics.median(values):7.1f} ms   "
                f"p99 {pct(values, 99):7.1f} ms   max {max(values):7.1f} ms   (n={len(values)})"
            )
    return 0 if len(invitee_ms) == len(committed) else 1


if __name__ == "__main__":
    sys.exit(main())
