"""Load suite: the real topology on 127.0.0.1 under a bounded load of our own.

It starts `slotwise serve --workers N` (gunicorn) and M `slotwise worker` processes on a throwaway
database: a fresh SQLite file in a temporary data directory, or, when a PostgreSQL URL is configured
(--database-url or DATABASE_URL), a database slotwise_bench_<pid> created on that server and dropped
afterwards; Redis when configured (--redis-url or REDIS_URL). The configured database is never touched.
An SMTP server (aiosmtpd) and a webhook receiver run in the bench. Seeding is S2 (a round-robin pool of up
to 100 hosts in 12 zones, 200 busy blocks each over 31 days), a pool of all --hosts hosts for bookings,
and one host whose single slot is raced for.

- L1 slot reads: the S2 booking page and the API's event_type_available_times (one day), at 10 and 50
  concurrent clients: requests/s, p50/p95/p99.
- L2 the race: --racers simultaneous attempts at one slot from --race-procs processes, --runs times: a run
  passes when exactly one booking is created and every other answer is a clean 409.
- L3 sustained bookings on the pool of all hosts: bookings/s, p99, 409s; then SQL counts overlapping
  active bookings (there must be none).
- L4 mixed: 80 % reads, 15 % bookings, 5 % cancels; afterwards every webhook and email owed for the
  run's bookings and cancels must have arrived exactly once (duplicates are counted and explained).

    slotwise bench load [--workers 2] [--job-workers 1] [--database-url URL] [--redis-url URL] [--json FILE]

Every phase stops at its request count or its time limit, whichever comes first. The client is asyncio
streams speaking HTTP/1.1 with one connection per request, so that no HTTP client library is needed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, urlsplit, urlunsplit

from slotwise.bench.notify import free_port, pct

PHASES = ("L1", "L2", "L3", "L4")
INVITEE = re.compile(r"Invitee (\d{6})")
INVITEE_EMAIL = re.compile(r"inv-(\d{6})@bench\.test")
DB_JOB_KINDS = ("notify.invitee", "notify.host", "webhook.deliver")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parse(argv)
    if args.racer:
        return _racer()
    # Its own child, not `slotwise bench`'s (which marks "1"): --database-url still names the server then.
    if os.environ.get("SLOTWISE_BENCH_CHILD") == "load":
        return _run(args)
    # A fresh process on a throwaway database: `slotwise bench load` runs inside a configured Django, and the
    # servers it starts must never see the user's database.
    database_url = args.database_url or os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "") if args.redis_url is None else args.redis_url
    postgres = database_url.startswith(("postgres://", "postgresql://"))
    with tempfile.TemporaryDirectory(prefix="slotwise-bench-load-") as tmp:
        name = f"slotwise_bench_{os.getpid()}"
        throwaway = _pg_create(database_url, name) if postgres else f"sqlite:///{tmp}/bench.sqlite3"
        env = {
            **os.environ,
            "SLOTWISE_BENCH_CHILD": "load",
            "SLOTWISE_DATA_DIR": tmp,
            "DATABASE_URL": throwaway,
            "REDIS_URL": redis_url,
            "SLOTWISE_JOBS_REDIS_KEY": f"slotwise:bench-{os.getpid()}:jobs",
            "DJANGO_SETTINGS_MODULE": "slotwise.config.settings",
            "SLOTWISE_ENV": "development",  # loopback webhooks, plain-http links
            "SLOTWISE_DEBUG": "0",
            "SLOTWISE_OUTBOUND_ALLOW_LOOPBACK": "1",  # the webhook receiver is on 127.0.0.1
            "SLOTWISE_API_RATE_LIMIT": str(10**9),  # one token makes every request: the limiter counts, never refuses
            "SLOTWISE_WEB_RATE_LIMIT": "0",  # every client comes from 127.0.0.1
            "SLOTWISE_LOG_LEVEL": "WARNING",
        }
        try:
            return subprocess.call([sys.executable, "-m", "slotwise.bench.load", *argv], env=env)  # noqa: S603
        finally:
            if postgres:
                _pg_drop(database_url, name)


def _parse(argv):
    p = argparse.ArgumentParser(prog="slotwise bench load", description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (serve --workers; default 2)")
    p.add_argument("--job-workers", type=int, default=1, help="`slotwise worker` processes (default 1)")
    p.add_argument("--database-url", default="", help="a PostgreSQL server to make a throwaway database on")
    p.add_argument("--redis-url", default=None, help="default: REDIS_URL; empty for none")
    p.add_argument("--phases", default=",".join(PHASES), help="which of L1,L2,L3,L4 to run (default all)")
    p.add_argument("--hosts", type=int, default=200, help="hosts in the booking pool (default 200; S2 uses 100)")
    p.add_argument("--busy", type=int, default=200, help="busy blocks per S2 host (default 200)")
    p.add_argument("--seconds", type=float, default=15, help="time limit of each L1 row, L3 and L4 (default 15)")
    p.add_argument("--requests", type=int, default=3000, help="request limit of each L1 row, L3 and L4")
    p.add_argument("--l3-clients", type=int, default=20)
    p.add_argument("--l4-clients", type=int, default=10)
    p.add_argument("--racers", type=int, default=500, help="attempts at the raced slot per run (default 500)")
    p.add_argument("--race-procs", type=int, default=4, help="processes the racers are spread over (default 4)")
    p.add_argument("--runs", type=int, default=10, help="race runs (default 10)")
    p.add_argument("--race-timeout", type=float, default=120, help="seconds a racer waits for its answer")
    p.add_argument("--drain", type=float, default=180, help="seconds to wait for emails and webhooks after L4")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", default="", help="also write the figures and invariants to this file")
    p.add_argument("--racer", action="store_true", help=argparse.SUPPRESS)  # internal: one L2 racer process
    args = p.parse_args(argv)
    unknown = set(args.phases.split(",")) - set(PHASES)
    if unknown:
        p.error(f"unknown phase {sorted(unknown)[0]!r}; choose from {','.join(PHASES)}")
    return args


# ---- the throwaway PostgreSQL database --------------------------------------------------------------------


def _pg_admin(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def _pg_create(url: str, name: str) -> str:
    with _pg_admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # a crashed run with a reused pid
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _pg_drop(url: str, name: str) -> None:
    with _pg_admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- the HTTP client: asyncio streams, one connection per request -------------------------------------------


@dataclass
class Answer:
    status: int  # 0: no answer (refused, reset, timed out)
    body: bytes
    seconds: float
    kind: str = ""

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def request_bytes(method: str, path: str, port: int, *, token: str = "", body=None) -> bytes:
    data = b"" if body is None else json.dumps(body).encode()
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close", "Accept: */*"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


async def connect(port: int, timeout: float):
    return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)


async def exchange(conn, raw: bytes, timeout: float) -> tuple[int, bytes]:
    reader, writer = conn
    try:
        writer.write(raw)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout)  # to EOF: the server closes (Connection: close)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1] if head.startswith(b"HTTP/") else b"0"
    if b"\r\ntransfer-encoding: chunked" in head.lower():
        body = _dechunk(body)
    return int(status), body


def _dechunk(body: bytes) -> bytes:
    out, rest = [], body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2 :]
    return b"".join(out)


async def fetch(port: int, method: str, path: str, *, token="", body=None, kind="", timeout=60.0) -> Answer:
    t0 = time.perf_counter()
    try:
        status, data = await exchange(
            await connect(port, timeout), request_bytes(method, path, port, token=token, body=body), timeout
        )
    except (OSError, TimeoutError, ValueError, IndexError) as exc:
        status, data = 0, str(exc).encode()
    return Answer(status, data, time.perf_counter() - t0, kind)


async def closed_loop(clients: int, seconds: float, limit: int, op) -> tuple[list[Answer], float]:
    """`clients` tasks each run `op` (a few requests, one after another; it returns their answers) and then
    the next, until `limit` ops have been started or `seconds` have passed."""
    answers: list[Answer] = []
    started = 0
    deadline = time.monotonic() + seconds

    async def client(i: int) -> None:
        nonlocal started
        while time.monotonic() < deadline and started < limit:
            started += 1
            answers.extend(await op(i))

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return answers, time.perf_counter() - t0


# ---- the receivers: SMTP and webhooks -----------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: every message as (recipient, subject)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        from email import message_from_bytes, policy

        subject = str(message_from_bytes(envelope.content, policy=policy.default)["Subject"] or "")
        with self.lock:
            self.messages.extend((rcpt.lower(), subject) for rcpt in envelope.rcpt_tos)
        return "250 Message accepted for delivery"


class Hooks(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        self.lock = threading.Lock()
        self.received: list[tuple[str, str]] = []  # (event, invitee uri)
        super().__init__(("127.0.0.1", 0), _HookHandler)


class _HookHandler(BaseHTTPRequestHandler):
    server: Hooks

    def do_POST(self):  # noqa: N802 - http.server's hook name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            envelope = json.loads(body)
            key = (str(envelope.get("event")), str(envelope.get("payload", {}).get("uri")))
        except (ValueError, AttributeError):
            key = ("unreadable", body[:80].decode("utf-8", "replace"))
        with self.server.lock:
            self.server.received.append(key)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


# ---- the bench, in the child process ------------------------------------------------------------------------


@dataclass
class World:
    port: int
    token: str
    org: str
    s2_page: str  # the booking page path, without date
    s2_uri: str  # event type uri
    pool_uri: str
    pool_id: int
    race_path: str
    race_uri: str
    race_id: int
    race_starts: list[datetime]
    days: list[str]  # dates the pages and reads ask for, round robin
    pool_starts: list[str] = field(default_factory=list)
    created: dict[str, tuple[int, str]] = field(default_factory=dict)  # invitee uri -> (number, event uri)
    canceled: list[str] = field(default_factory=list)  # invitee uris
    numbers: int = 0

    def invitee(self) -> dict:
        self.numbers += 1
        n = self.numbers
        return {"name": f"Invitee {n:06d}", "email": f"inv-{n:06d}@bench.test", "timezone": "Europe/Berlin"}

    def note(self, answer: Answer) -> None:
        if answer.status == 201 and answer.kind == "book":
            resource = answer.json()["resource"]
            n = int(INVITEE.search(resource["name"]).group(1))
            self.created[resource["uri"]] = (n, resource["event"])


def _run(args) -> int:
    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.core.management import call_command

    from slotwise.core.clock import utc_now

    phases = args.phases.split(",")
    call_command("migrate", verbosity=0, interactive=False)
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    hooks = Hooks()
    threading.Thread(target=hooks.serve_forever, daemon=True).start()
    port = free_port()
    t0 = time.perf_counter()
    world = _seed(args, port=port, hook_url=f"http://127.0.0.1:{hooks.server_port}/hook", now=utc_now())
    seeded = time.perf_counter() - t0
    env = {
        **os.environ,
        "SLOTWISE_SMTP_HOST": "127.0.0.1",
        "SLOTWISE_SMTP_PORT": str(smtp.port),
        "SLOTWISE_PORT": str(port),
    }
    logs = settings.DATA_DIR
    procs = [
        _start(
            ["serve", "--workers", str(args.workers), "--port", str(port), "--no-worker", "--no-migrate"],
            env,
            logs / "serve.log",
        )
    ]
    procs += [_start(["worker"], env, logs / f"worker-{i}.log") for i in range(args.job_workers)]
    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    report: dict = {
        "db": db,
        "redis": bool(settings.REDIS_URL),
        "workers": args.workers,
        "job_workers": args.job_workers,
    }
    try:
        _wait_until_up(port, procs[0], logs / "serve.log")
        load = os.getloadavg()[0]
        print(
            f"load: serve --workers {args.workers} (gthread), {args.job_workers} job worker(s), db={db}, "
            f"redis={'on' if settings.REDIS_URL else 'off'}; {os.cpu_count()} CPUs, load average {load:.1f} at start"
        )
        print(
            f"seeded in {seeded:.1f} s: S2 pool of {min(100, args.hosts)} hosts / 12 zones, {args.busy} busy blocks "
            f"each; booking pool of {args.hosts} hosts; one raced host"
        )
        if settings.REDIS_URL:
            print(
                "redis: rate-limit counters (slotwise:rl:token:<id>:...) go to REDIS_URL; give the bench a Redis "
                "database of its own (--redis-url redis://.../N) so that they never count against a real token"
            )
        print(
            f"{'phase':<34} {'clients':>7} {'requests':>8} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  answers"
        )
        world.pool_starts = asyncio.run(_offered(world))
        ok = True
        if "L1" in phases:
            report["L1"] = asyncio.run(_l1(world, args))
        if "L2" in phases:
            report["L2"] = _l2(world, args)
            ok &= report["L2"]["passed"] == args.runs
        if "L3" in phases:
            report["L3"] = asyncio.run(_l3(world, args))
            ok &= report["L3"]["overlaps"] == 0
        if "L4" in phases:
            report["L4"] = asyncio.run(_l4(world, args))
            report["L4"].update(_deliveries(world, args, mailbox, hooks))
            ok &= report["L4"]["overlaps"] == 0 and not report["L4"]["webhooks"]["missing"]
            ok &= not report["L4"]["emails"]["missing"]
    finally:
        _stop(procs)
        smtp.stop()
        hooks.shutdown()
    report["ok"] = bool(ok)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 0 if ok else 1


def _start(verb: list[str], env: dict, log) -> subprocess.Popen:
    out = open(log, "wb")  # noqa: SIM115 - the process holds it until it ends
    return subprocess.Popen([sys.executable, "-m", "slotwise", *verb], env=env, stdout=out, stderr=out)  # noqa: S603


def _wait_until_up(port: int, serve: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if serve.poll() is not None:
            raise SystemExit(f"slotwise serve ended with {serve.returncode}:\n{log.read_text()[-2000:]}")
        if asyncio.run(fetch(port, "GET", "/healthz", timeout=5)).status == 200:
            return
        time.sleep(0.2)
    raise SystemExit("slotwise serve did not answer /healthz within 120 s")


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _seed(args, *, port: int, hook_url: str, now: datetime) -> World:
    from slotwise.accounts.models import Membership, Organization, Team, User
    from slotwise.api.tokens import token_create
    from slotwise.bench import pages
    from slotwise.bench.engine import ZONES
    from slotwise.representations import uri
    from slotwise.scheduling.models import EventType
    from slotwise.webhooks.services import subscription_create

    rng = random.Random(args.seed)  # noqa: S311 - a seeded scenario, not a secret
    org = Organization.objects.create(slug="load", name="Load")
    admin_user = User.objects.create_user("admin@bench.test", None, name="Admin", timezone="UTC")
    admin = Membership.objects.create(organization=org, user=admin_user, slug="admin", role=Membership.Role.OWNER)
    _, token = token_create(membership=admin, scope="write", name="bench load", now=now)
    s2, members = pages.s2_pool(org, rng, since=now, hosts=min(100, args.hosts), busy=args.busy, team="s2", slug="s2")
    members += [pages.member(org, f"h{i:03d}", ZONES[i % len(ZONES)]) for i in range(len(members), args.hosts)]
    everyone = Team.objects.create(organization=org, slug="all", name="All", timezone="UTC")
    everyone.members.set(members)
    pool = pages.round_robin(org, everyone, members, slug="pool")
    racer = pages.member(org, "racer", "UTC")
    race = EventType.objects.create(
        organization=org,
        owner=racer,
        slug="race",
        name="Race",
        duration_minutes=15,
        increment_minutes=15,
        window_kind=EventType.WindowKind.UNLIMITED,
    )
    subscription_create(
        organization=org,
        creator=admin,
        url=hook_url,
        events=["invitee.created", "invitee.canceled"],
        scope="organization",
        now=now,
    )
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    weekdays = [today + timedelta(days=d) for d in range(1, 60) if (today + timedelta(days=d)).weekday() < 5]
    # Racer's hours are 09:00-17:00 UTC on weekdays: 32 quarter-hour slots a day.
    race_starts = [day + timedelta(hours=9, minutes=15 * k) for day in weekdays for k in range(32)]
    return World(
        port=port,
        token=token,
        org=org.slug,
        s2_page=f"/{org.slug}/team/s2/s2/?tz=Europe/Berlin",
        s2_uri=uri("event_types", s2.uuid),
        pool_uri=uri("event_types", pool.uuid),
        pool_id=pool.pk,
        race_path="/api/v2/invitees",
        race_uri=uri("event_types", race.uuid),
        race_id=race.pk,
        race_starts=race_starts[: args.runs],
        days=[f"{d:%Y-%m-%d}" for d in weekdays[:10]],
    )


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _times_path(world: World, event_uri: str, day: str) -> str:
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return (
        f"/api/v2/event_type_available_times?event_type={quote(event_uri, safe='')}"
        f"&start_time={_ts(start)}&end_time={_ts(start + timedelta(days=1))}"
    )


async def _offered(world: World) -> list[str]:
    """The pool's offered starts over the next days (not timed): what L3 and L4 book."""
    starts: list[str] = []
    for day in world.days[:5]:
        answer = await fetch(world.port, "GET", _times_path(world, world.pool_uri, day), token=world.token, timeout=300)
        if answer.status != 200:
            raise SystemExit(f"available times answered {answer.status}: {answer.body[:300]!r}")
        starts += [t["start_time"] for t in answer.json()["collection"]]
    if not starts:
        raise SystemExit("the booking pool offers no times")
    return starts


def _row(label: str, clients, answers: list[Answer], elapsed: float, *, count=None, extra: str = "") -> dict:
    seconds = [a.seconds * 1000 for a in answers] or [0.0]
    counted = len(answers) if count is None else count
    statuses = Counter(a.status for a in answers)
    row = {
        "clients": clients,
        "requests": len(answers),
        "per_s": counted / elapsed if elapsed else 0.0,
        "p50_ms": pct(seconds, 50),
        "p95_ms": pct(seconds, 95),
        "p99_ms": pct(seconds, 99),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }
    answers_text = " ".join(f"{k or 'none'}x{v}" for k, v in sorted(statuses.items()))
    print(
        f"{label:<34} {clients!s:>7} {len(answers):>8} {row['per_s']:>7.1f} {row['p50_ms']:>8.0f} "
        f"{row['p95_ms']:>8.0f} {row['p99_ms']:>8.0f}  {answers_text}{extra}"
    )
    for a in answers:
        if a.status not in (200, 201, 409):
            print(f"    first unexpected answer: {a.status} {a.body[:200]!r}")
            break
    return row


async def _l1(world: World, args) -> dict:
    page = await fetch(world.port, "GET", f"{world.s2_page}&date={world.days[0]}")
    if page.status != 200 or b'class="slot"' not in page.body:
        raise SystemExit(f"the S2 booking page did not render slots (HTTP {page.status})")
    rows = {}
    for what, label in (("page", "L1 S2 booking page"), ("api", "L1 S2 event_type_available_times")):
        for clients in (10, 50):

            async def read(i, what=what):
                return [await _read(world, what, world.days[i % len(world.days)])]

            answers, elapsed = await closed_loop(clients, args.seconds, args.requests, read)
            rows[f"{what}@{clients}"] = _row(label, clients, answers, elapsed)
    return rows


async def _read(world: World, what: str, day: str) -> Answer:
    if what == "page":
        return await fetch(world.port, "GET", f"{world.s2_page}&date={day}", kind="read")
    return await fetch(world.port, "GET", _times_path(world, world.s2_uri, day), token=world.token, kind="read")


def _book_body(world: World, event_uri: str, start: str) -> dict:
    return {"event_type": event_uri, "start_time": start, "invitee": world.invitee()}


async def _book_pool(world: World, rng: random.Random) -> Answer:
    body = _book_body(world, world.pool_uri, rng.choice(world.pool_starts))
    answer = await fetch(world.port, "POST", "/api/v2/invitees", token=world.token, body=body, kind="book")
    world.note(answer)
    return answer


def _clean_409(answer: Answer) -> bool:
    data = answer.json()
    return answer.status == 409 and isinstance(data, dict) and bool(data.get("message"))


def _l2(world: World, args) -> dict:
    from slotwise.bookings.models import Booking

    per_proc = [args.racers // args.race_procs + (i < args.racers % args.race_procs) for i in range(args.race_procs)]
    passed, lasts, late, details = 0, [], 0, []
    for start in world.race_starts:
        procs = [
            subprocess.Popen(  # noqa: S603 - our own module
                [sys.executable, "-m", "slotwise.bench.load", "--racer"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            for _ in per_proc
        ]
        for proc, n in zip(procs, per_proc, strict=True):
            raws = [
                request_bytes(
                    "POST",
                    world.race_path,
                    world.port,
                    token=world.token,
                    body=_book_body(world, world.race_uri, _ts(start)),
                ).decode()
                for _ in range(n)
            ]
            _say(proc, {"port": world.port, "requests": raws, "timeout": args.race_timeout})
        for proc in procs:  # each says so once all its sockets are connected
            proc.stdout.readline()
        at = time.time() + 0.2
        for proc in procs:
            _say(proc, {"at": at})
            proc.stdin.close()
        answers = []
        for proc in procs:
            out = json.loads(proc.stdout.read())  # the line after "ready"
            proc.wait()
            late += out["late"]
            answers += [Answer(s, b.encode(), t, "book") for s, b, t in out["answers"]]
        for a in answers:
            world.note(a)
        created = sum(a.status == 201 for a in answers)
        clean = sum(_clean_409(a) for a in answers)
        stored = Booking.objects.filter(
            event_type_id=world.race_id, start=start, status=Booking.Status.CONFIRMED
        ).count()
        ok = created == 1 and clean == len(answers) - 1 and stored == 1
        passed += ok
        lasts.append(max(a.seconds for a in answers))
        details.append(
            {"created": created, "clean_409": clean, "other": len(answers) - created - clean, "stored": stored}
        )
        if not ok:
            print(f"    race at {_ts(start)}: {created} created, {clean} clean 409s, {stored} stored", end="")
            other = Counter(a.status for a in answers if a.status not in (201, 409))
            silent = other.pop(0, 0)
            print(
                f"; other answers {dict(other)}"
                + (f"; {silent} without an answer within {args.race_timeout:g} s" if silent else "")
            )
    lasts.sort()
    print(
        f"{'L2 race ' + str(args.racers) + ' racers / ' + str(args.race_procs) + ' procs':<34} {args.racers:>7} "
        f"{args.racers * len(world.race_starts):>8} {'':>7} {'':>8} {'':>8} {'':>8}  passed {passed}/{len(world.race_starts)}"
        f"; last answer after median {pct(lasts, 50):.2f} s, max {max(lasts):.2f} s"
        + (f"; {late} racer(s) started late" if late else "")
    )
    return {
        "passed": passed,
        "runs": len(world.race_starts),
        "last_answer_s": lasts,
        "late": late,
        "runs_detail": details,
    }


def _say(proc: subprocess.Popen, message: dict) -> None:
    proc.stdin.write(json.dumps(message).encode() + b"\n")
    proc.stdin.flush()


def _racer() -> int:
    """One L2 process: connect every attempt's socket, wait for the agreed instant, send them all at once."""
    spec = json.loads(sys.stdin.readline())

    async def race():
        conns = await asyncio.gather(*(connect(spec["port"], 60) for _ in spec["requests"]))
        print("ready", flush=True)
        at = json.loads(await asyncio.to_thread(sys.stdin.readline))["at"]
        late = time.time() > at
        await asyncio.sleep(max(0.0, at - time.time()))

        async def one(conn, raw):
            t0 = time.perf_counter()
            try:
                status, body = await exchange(conn, raw.encode(), spec.get("timeout", 120))
            except (OSError, TimeoutError, ValueError, IndexError) as exc:
                status, body = 0, str(exc).encode()
            return status, body.decode("utf-8", "replace"), time.perf_counter() - t0

        answers = await asyncio.gather(*(one(c, r) for c, r in zip(conns, spec["requests"], strict=True)))
        return {"late": int(late), "answers": answers}

    print(json.dumps(asyncio.run(race())))
    return 0


def _overlaps(event_type_id: int | None = None) -> int:
    """Pairs of active host blocks (the rows the database guard holds) of one host that overlap, and pairs of
    confirmed bookings of one host that overlap: both must be 0."""
    from django.db import connection

    from slotwise.bookings.models import Booking, BookingHost

    blocks, bookings = BookingHost._meta.db_table, Booking._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {blocks} a JOIN {blocks} b ON a.membership_id = b.membership_id AND a.id < b.id "  # noqa: S608 - our table names
            "WHERE a.active AND b.active AND a.block_start < b.block_end AND b.block_start < a.block_end"
        )
        (n_blocks,) = cursor.fetchone()
        cursor.execute(
            f"SELECT COUNT(*) FROM {bookings} a JOIN {bookings} b ON a.host_id = b.host_id AND a.id < b.id "  # noqa: S608
            'WHERE a.status = %s AND b.status = %s AND a.start < b."end" AND b.start < a."end"',
            [Booking.Status.CONFIRMED, Booking.Status.CONFIRMED],
        )
        (n_bookings,) = cursor.fetchone()
    return int(n_blocks) + int(n_bookings)


async def _one(answer) -> list[Answer]:
    return [await answer]


async def _l3(world: World, args) -> dict:
    rng = random.Random(args.seed + 3)  # noqa: S311
    answers, elapsed = await closed_loop(
        args.l3_clients, args.seconds, args.requests, lambda i: _one(_book_pool(world, rng))
    )
    created = sum(a.status == 201 for a in answers)
    overlaps = await asyncio.to_thread(_overlaps)
    row = _row(
        f"L3 bookings, pool of {args.hosts} hosts",
        args.l3_clients,
        answers,
        elapsed,
        count=created,
        extra=f"; {created} created ({created / elapsed:.1f}/s), overlaps {overlaps}",
    )
    row.update(created=created, conflicts=sum(a.status == 409 for a in answers), overlaps=overlaps)
    return row


async def _l4(world: World, args) -> dict:
    # The sequence of ops comes from its own generator, so a given --seed and --requests always make the same
    # number of reads, bookings and cancels; a cancel with nothing of L4's left to cancel books first.
    kinds_rng = random.Random(args.seed + 4)  # noqa: S311
    rng = random.Random(args.seed + 5)  # noqa: S311
    mine: list[str] = []  # invitee uris booked in L4 and not yet canceled

    async def book() -> Answer:
        answer = await _book_pool(world, rng)
        if answer.status == 201:
            mine.append(answer.json()["resource"]["uri"])
        return answer

    async def op(i) -> list[Answer]:
        r = kinds_rng.random()
        if r < 0.80:
            return [await _read(world, "page" if r < 0.40 else "api", world.days[i % len(world.days)])]
        if r < 0.95:
            return [await book()]
        answers = [] if mine else [await book()]
        if not mine:
            return answers
        invitee = mine.pop(rng.randrange(len(mine)))
        event = world.created[invitee][1].rstrip("/").rsplit("/", 1)[1]
        answer = await fetch(
            world.port,
            "POST",
            f"/api/v2/scheduled_events/{event}/cancellation",
            token=world.token,
            body={"reason": "load test"},
            kind="cancel",
        )
        if answer.status == 201:
            world.canceled.append(invitee)
        return [*answers, answer]

    answers, elapsed = await closed_loop(args.l4_clients, args.seconds, args.requests, op)
    kinds = Counter(a.kind for a in answers)
    overlaps = await asyncio.to_thread(_overlaps)
    row = _row(
        "L4 mixed 80/15/5",
        args.l4_clients,
        answers,
        elapsed,
        extra=f"; {kinds['read']} reads, {kinds['book']} bookings, {kinds['cancel']} cancels; overlaps {overlaps}",
    )
    row.update(kinds=dict(kinds), overlaps=overlaps)
    return row


def _deliveries(world: World, args, mailbox: Mailbox, hooks: Hooks) -> dict:
    """Wait for the workers, then hold what arrived against what is owed: every booking of the run (L2-L4)
    owes an invitee.created webhook and two emails (invitee, host); every cancel an invitee.canceled webhook
    and two more emails."""
    from slotwise.jobs.models import Job

    owed_hooks = Counter({("invitee.created", u): 1 for u in world.created})
    owed_hooks.update({("invitee.canceled", u): 1 for u in world.canceled})
    canceled = Counter(world.created[u][0] for u in world.canceled)
    owed_mail = {n: 1 + canceled[n] for n, _ in world.created.values()}  # per side (invitee, host)
    t0 = time.monotonic()
    busy = Job.objects.filter(kind__in=DB_JOB_KINDS, status__in=[Job.Status.PENDING, Job.Status.RUNNING])
    while time.monotonic() - t0 < args.drain and busy.exists():
        time.sleep(0.25)
    time.sleep(1.0)  # a duplicate still in flight is counted too
    drained = time.monotonic() - t0
    with hooks.lock:
        got_hooks = Counter(hooks.received)
    with mailbox.lock:
        got_mail = Counter(mailbox.messages)
    hooks_report = {
        "owed": sum(owed_hooks.values()),
        "once": sum(1 for k in owed_hooks if got_hooks[k] == 1),
        "missing": sum(1 for k in owed_hooks if got_hooks[k] == 0),
        "duplicates": sum(got_hooks[k] - 1 for k in owed_hooks if got_hooks[k] > 1),
        "unowed": sum(v for k, v in got_hooks.items() if k not in owed_hooks),
    }
    sides: dict[tuple[str, int], int] = Counter()
    unowed_mail = 0
    for rcpt, subject in got_mail:  # distinct messages; repeats are duplicates
        match = INVITEE_EMAIL.fullmatch(rcpt) or INVITEE.search(subject)
        n = int(match.group(1)) if match else -1
        if n not in owed_mail:
            unowed_mail += 1
            continue
        sides["invitee" if INVITEE_EMAIL.fullmatch(rcpt) else "host", n] += 1
    owed_total = 2 * sum(owed_mail.values())
    missing = sum(max(0, owed_mail[n] - sides[side, n]) for n in owed_mail for side in ("invitee", "host"))
    mail_report = {
        "owed": owed_total,
        "once": owed_total - missing,
        "missing": missing,
        "duplicates": sum(v - 1 for v in got_mail.values() if v > 1),
        "unowed": unowed_mail,
    }
    pending = busy.count()
    print(
        f"{'L4 deliveries':<34} after {drained:.1f} s: webhooks {_said(hooks_report)}; emails {_said(mail_report)}"
        + (f"; {pending} job(s) still pending after {args.drain:g} s" if pending else "")
    )
    if hooks_report["duplicates"] or mail_report["duplicates"]:
        print("    duplicates: " + _explain_duplicates())
    return {"webhooks": hooks_report, "emails": mail_report, "drain_s": drained, "pending_jobs": pending}


def _said(r: dict) -> str:
    return f"owed {r['owed']}, exactly once {r['once']}, missing {r['missing']}, duplicates {r['duplicates']}" + (
        f", not owed {r['unowed']}" if r["unowed"] else ""
    )


def _explain_duplicates() -> str:
    """A message sent twice by one job means the job ran twice (its lease ran out while it was sending); by two
    jobs, that it was enqueued twice. A webhook delivered twice has two successful attempts."""
    from django.db.models import Count

    from slotwise.notifications.models import SentEmail
    from slotwise.webhooks.models import WebhookAttempt

    twice = SentEmail.objects.values("to", "subject").annotate(n=Count("id"), jobs=Count("job_id", distinct=True))
    twice = twice.filter(n__gt=1)
    same_job = sum(1 for r in twice if r["jobs"] == 1)
    hooks = WebhookAttempt.objects.filter(status_code__gte=200, status_code__lt=300).values("delivery_id")
    hooks_twice = hooks.annotate(n=Count("id")).filter(n__gt=1).count()
    return (
        f"{same_job} email(s) sent twice by one job (run again after its lease ran out), "
        f"{twice.count() - same_job} by two jobs (enqueued twice); {hooks_twice} webhook delivery(ies) "
        "with two successful attempts"
    )


if __name__ == "__main__":
    sys.exit(main())
