"""Calendly import benchmark: the first sync of 5,000 events across 20 users (goal <= 60 s), a poll with no
changes (goal <= 1 s), and webhook delivery to a visible appointment (goal p99 <= 2 s).

Runs in a child process with its own temporary SQLite database (or --database-url), never the configured
one, against a Calendly stand-in on 127.0.0.1 (bench/_calendly.py) over real HTTP. The first sync is
imports.sync.sync_connection for each of the 20 connections, one after another, as the poll job runs them.
A webhook delivery is timed from the signed POST to /hooks/calendly/<token>/ (the real view, in process)
until the appointment is readable from a fresh query, as the dashboard would read it.

    .venv/bin/slotwise bench import [--users 20] [--events 5000] [--polls 5] [--webhooks 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

GOALS = {"first": 60.0, "poll": 1.0, "webhook_p99": 2.0}


def main(argv=None) -> int:
    args = _parse(argv)
    if os.environ.get("SLOTWISE_BENCH_CHILD") != "1":
        # A fresh process, so the scenario's temporary database is the only one Django ever sees.
        with tempfile.TemporaryDirectory(prefix="slotwise-bench-import-") as tmp:
            env = {
                **os.environ,
                "SLOTWISE_BENCH_CHILD": "1",
                "SLOTWISE_DATA_DIR": tmp,
                "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.sqlite3",
                "DJANGO_SETTINGS_MODULE": "slotwise.config.settings",
                "SLOTWISE_LOG_LEVEL": "ERROR",
                "REDIS_URL": "",
                "SLOTWISE_OUTBOUND_ALLOW_LOOPBACK": "1",
            }
            cmd = [
                sys.executable,
                "-m",
                "slotwise.bench.import",
                "--users",
                str(args.users),
                "--events",
                str(args.events),
                "--polls",
                str(args.polls),
                "--webhooks",
                str(args.webhooks),
            ]
            return subprocess.call(cmd, env=env)  # noqa: S603 - our own interpreter and module, fixed arguments
    return _run(args)


def _parse(argv):
    p = argparse.ArgumentParser(prog="slotwise bench import", description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=20, help="connected Calendly users (default 20)")
    p.add_argument("--events", type=int, default=5000, help="events across them for the first sync (default 5000)")
    p.add_argument("--polls", type=int, default=5, help="no-change polls of every connection (default 5)")
    p.add_argument("--webhooks", type=int, default=200, help="webhook deliveries timed (default 200)")
    p.add_argument("--database-url", default="", help="a database to use instead of a temporary SQLite file")
    return p.parse_args(argv)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _line(name: str, values: list[float], goal: str) -> str:
    return (
        f"  {name:<34} median {statistics.median(values):7.3f} s   p95 {_pct(values, 0.95):7.3f} s   "
        f"p99 {_pct(values, 0.99):7.3f} s   max {max(values):7.3f} s   ({len(values)} samples; goal {goal})"
    )


def _run(args) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.test import Client
    from django.urls import resolve

    from slotwise.accounts.models import Membership, Organization, User
    from slotwise.bench._calendly import BenchCalendly
    from slotwise.bookings.models import Booking
    from slotwise.core import signing
    from slotwise.core.clock import utc_now
    from slotwise.core.secrets import seal
    from slotwise.imports.models import Calendar, Connection, ImportedEvent
    from slotwise.imports.sync import sync_connection
    from slotwise.scheduling.models import AvailabilitySchedule

    fake = BenchCalendly()
    now = utc_now().replace(microsecond=0)
    connected_at = now - timedelta(days=1)
    org = Organization.objects.create(slug="bench-import", name="Bench import")
    key = "bench-signing-key-" + "k" * 24
    conns = []
    for n in range(args.users):
        user = User.objects.create_user(f"member{n}@bench.test", None, name=f"Member {n}")
        m = Membership.objects.create(organization=org, user=user, slug=f"member{n}")
        AvailabilitySchedule.objects.create(organization=org, owner=m, timezone="UTC", weekly={}, is_default=True)
        remote = fake.add_user(n, token=f"token-{n}")
        conn = Connection.objects.create(
            organization=org,
            membership=m,
            method=Connection.Method.TOKEN,
            api_base=fake.base,
            secret=seal({"access_token": f"token-{n}"}),
            account_user_uri=remote["uri"],
            account_organization_uri=fake.organization,
            account_email=remote["email"],
            plan="teams",
            stage="paid",
            state=Connection.State.ACTIVE,
            connected_at=connected_at,
            webhooks_active=True,
            webhook_signing_key=seal({"signing_key": key}),
        )
        et_uri = f"{fake.base}/event_types/T{n:04d}"
        Calendar.objects.create(
            connection=conn,
            uri=et_uri,
            name="Intro",
            kind=Calendar.Kind.PERSONAL,
            selected=True,
            consented_at=connected_at,
            imported_from=connected_at,
        )
        conns.append((conn, remote, et_uri))
    per_user = args.events // args.users
    for n, (_conn, remote, et_uri) in enumerate(conns):
        for k in range(per_user):
            fake.add_event(
                user=remote,
                event_type=et_uri,
                start=now + timedelta(days=1, hours=k),
                created_at=connected_at + timedelta(seconds=k + 1),
                guest=f"guest{n}-{k}@example.com",
            )
    db = os.environ.get("DATABASE_URL", "").split(":", 1)[0]
    print(f"slotwise bench import   ({args.users} users, {per_user * args.users} events, database {db})")

    first, t_all, cpu = [], time.perf_counter(), time.process_time()
    for conn, _, _ in conns:
        t = time.perf_counter()
        run = sync_connection(connection=conn, now=now)
        first.append(time.perf_counter() - t)
        if run.done != per_user:
            raise SystemExit(f"first sync of {conn} stopped: {run.outcome}")
    total, cpu = time.perf_counter() - t_all, time.process_time() - cpu
    imported = Booking.objects.filter(source=Booking.Source.IMPORT).count()
    # CPU time beside the wall clock: on a shared machine the wall clock also counts other processes' turns
    # (this process's CPU includes the Calendly stand-in's threads, which serve its requests).
    print(
        f"  first sync, all users: {total:.2f} s wall, {cpu:.2f} s CPU for {imported} appointments   "
        f"(goal <= {GOALS['first']:.0f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    print(_line("first sync, per user", first, "-"))

    polls = []
    for p in range(args.polls):
        for conn, _, _ in conns:
            t = time.perf_counter()
            run = sync_connection(connection=conn, now=now + timedelta(minutes=5 * (p + 1)))
            polls.append(time.perf_counter() - t)
            if run.total:
                raise SystemExit(f"a poll with no changes read {run.total} events")
    print(_line("poll with no changes, per user", polls, f"<= {GOALS['poll']:.0f} s"))

    client, hooks = Client(HTTP_HOST="127.0.0.1"), []
    resolve(f"/hooks/calendly/{conns[0][0].hook_token}/")  # load the URLs and views once, as a server has
    for i in range(args.webhooks):
        conn, remote, et_uri = conns[i % len(conns)]
        event, invitee = fake.add_event(
            user=remote,
            event_type=et_uri,
            start=now + timedelta(days=40, hours=i),
            created_at=utc_now(),
            guest=f"hook{i}@example.com",
        )
        body = json.dumps(
            {
                "created_at": event["created_at"],
                "created_by": remote["uri"],
                "event": "invitee.created",
                "payload": {**invitee, "scheduled_event": event},
            },
            separators=(",", ":"),
        )
        t = time.perf_counter()
        header = signing.signature(key, body, int(time.time()))
        resp = client.post(
            f"/hooks/calendly/{conn.hook_token}/",
            data=body,
            content_type="application/json",
            headers={signing.HEADER: header},
        )
        visible = ImportedEvent.objects.filter(event_uri=event["uri"], booking__isnull=False).exists()
        hooks.append(time.perf_counter() - t)
        if resp.status_code != 200 or not visible:
            raise SystemExit(f"webhook {i} answered {resp.status_code}: {resp.content[:200]!r}")
    print(_line("webhook to a visible appointment", hooks, f"p99 <= {GOALS['webhook_p99']:.0f} s"))
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
