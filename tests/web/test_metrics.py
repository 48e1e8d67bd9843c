"""/metrics: what it counts, what it reads at scrape time, who may read it, and that `slotwise serve`'s
processes add up."""

import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.mail import EmailMessage
from django.test import Client
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.calendars.models import CalendarConnection
from slotwise.core.clock import utc_now
from slotwise.core.errors import InvalidInput, SlotUnavailable
from slotwise.jobs.services import enqueue
from slotwise.notifications import mail
from tests import factories

pytestmark = pytest.mark.django_db
SRC = Path(__file__).resolve().parents[2] / "src"


def scrape(client=None, **headers) -> dict:
    """{(name, ((label, value), ...)): value} of one scrape."""
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


def counted(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def invitee(n: int) -> InviteeInput:
    return InviteeInput(name=f"Person {n}", email=f"p{n}@example.org", timezone="UTC")


def test_request_latency_is_per_route_not_per_path(now):
    org = factories.org("acme")
    for slug in ("ana", "ben"):
        factories.event_type(factories.host(org, slug), slug="intro")
    page = {"route": "event_page", "method": "GET", "status": "2xx"}
    before = counted("slotwise_http_request_duration_seconds_count", **page)
    for slug in ("ana", "ben"):
        assert Client().get(f"/acme/{slug}/intro/").status_code == 200
    assert counted("slotwise_http_request_duration_seconds_count", **page) == before + 2
    Client().get("/acme/nobody/here/at-all/")
    text = Client().get("/metrics").content.decode()
    assert "/acme/ana/intro/" not in text and "/acme/nobody" not in text
    assert 'route="event_page"' in text


def test_availability_query_time_is_observed(now):
    et = factories.event_type(factories.host(factories.org("acme"), "ana"), slug="intro")
    before = counted("slotwise_availability_query_duration_seconds_count")
    assert Client().get("/acme/ana/intro/").status_code == 200
    assert counted("slotwise_availability_query_duration_seconds_count") > before
    assert et.pk


def test_bookings_created_and_refused_are_counted_by_reason(now, django_capture_on_commit_callbacks):
    et = factories.event_type(factories.host(factories.org("acme"), "ana"), slug="intro")
    created = counted("slotwise_bookings_created_total", source="api")
    busy = counted("slotwise_bookings_refused_total", reason="busy")
    outside = counted("slotwise_bookings_refused_total", reason="outside_hours")
    invalid = counted("slotwise_bookings_refused_total", reason="invalid_input")
    nine = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        booking_create(event_type=et, start=nine, now=now, invitee=invitee(1), source="api")
    with pytest.raises(SlotUnavailable):
        booking_create(event_type=et, start=nine, now=now, invitee=invitee(2))
    with pytest.raises(SlotUnavailable):
        booking_create(event_type=et, start=nine.replace(hour=3), now=now, invitee=invitee(3))
    with pytest.raises(InvalidInput):
        booking_create(event_type=et, start=nine, now=now, invitee=InviteeInput(name="", email="x@y.z", timezone="UTC"))
    assert counted("slotwise_bookings_created_total", source="api") == created + 1
    assert counted("slotwise_bookings_refused_total", reason="busy") == busy + 1
    assert counted("slotwise_bookings_refused_total", reason="outside_hours") == outside + 1
    assert counted("slotwise_bookings_refused_total", reason="invalid_input") == invalid + 1


def test_a_booking_rolled_back_after_creation_is_not_counted(now, django_capture_on_commit_callbacks):
    et = factories.event_type(factories.host(factories.org("acme"), "ana"), slug="intro")
    before = counted("slotwise_bookings_created_total", source="page")
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        booking_create(event_type=et, start=datetime(2026, 3, 3, 9, 0, tzinfo=UTC), now=now, invitee=invitee(1))
        raise RuntimeError("a later step failed")
    assert counted("slotwise_bookings_created_total", source="page") == before


def test_queue_depth_and_the_oldest_due_jobs_age_are_read_at_scrape():
    at = utc_now()
    enqueue("jobs.noop", {}, due_at=at - timedelta(seconds=90))
    enqueue("jobs.noop", {}, due_at=at - timedelta(seconds=10))
    enqueue("jobs.noop", {}, due_at=at + timedelta(hours=1))
    got = scrape()
    assert got[("slotwise_jobs_queued", (("state", "due"),))] == 2
    assert got[("slotwise_jobs_queued", (("state", "scheduled"),))] == 1
    assert got[("slotwise_jobs_queued", (("state", "running"),))] == 0
    assert 90 <= got[("slotwise_jobs_oldest_due_age_seconds", ())] < 150


def test_calendar_sync_lag_is_read_per_connection_at_scrape():
    org = factories.org("acme")
    ana = factories.host(org, "ana")
    at = utc_now()

    def connect(kind, url, **fields):
        return CalendarConnection.objects.create(organization=org, membership=ana, kind=kind, url=url, **fields)

    synced = connect("ics", "https://cal.example.com/a.ics", last_success_at=at - timedelta(minutes=5))
    never = connect("caldav", "https://dav.example.com/", created_at=at - timedelta(hours=2), failures=3)
    got = scrape()
    lag = {labels: value for (name, labels), value in got.items() if name == "slotwise_calendar_sync_lag_seconds"}
    one = (("connection", str(synced.pk)), ("kind", "ics"), ("organization", "acme"))
    two = (("connection", str(never.pk)), ("kind", "caldav"), ("organization", "acme"))
    assert 300 <= lag[one] < 360
    assert 7200 <= lag[two] < 7260
    assert got[("slotwise_calendar_sync_failures", two)] == 3


def test_an_email_the_smtp_server_does_not_take_is_counted(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed, 2
    before = counted("slotwise_email_failures_total")
    with pytest.raises((OSError, smtplib.SMTPException)):
        mail.send_message(EmailMessage("Hi", "body", "from@example.org", ["to@example.org"]))
    mail.close()
    assert counted("slotwise_email_failures_total") == before + 1


@pytest.mark.parametrize(
    ("token", "headers", "status"),
    [
        ("s3cret-token", {}, 401),
        ("s3cret-token", {"HTTP_AUTHORIZATION": "Bearer wrong"}, 401),
        ("s3cret-token", {"HTTP_AUTHORIZATION": "Bearer s3cret-token", "REMOTE_ADDR": "203.0.113.9"}, 200),
        ("", {"REMOTE_ADDR": "127.0.0.1"}, 200),
        ("", {"REMOTE_ADDR": "::1"}, 200),
        ("", {"REMOTE_ADDR": "203.0.113.9"}, 403),
        # A proxy on this machine relays the world: its requests come from 127.0.0.1 but are not ours.
        ("", {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, 403),
    ],
)
def test_in_production_metrics_need_the_token_or_this_machine(settings, token, headers, status):
    settings.PRODUCTION, settings.SLOTWISE_METRICS_TOKEN = True, token
    response = Client().get("/metrics", **headers)
    assert response.status_code == status, response.content
    if status != 200:
        assert b"slotwise_" not in response.content


def test_in_development_metrics_are_open():
    assert Client().get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_with_two_web_workers_adds_up_their_counts_and_starts_from_zero(tmp_path):
    port = _free_port()
    stale = tmp_path / "prometheus" / "counter_99999.db"
    stale.parent.mkdir()
    stale.write_bytes(b"left by an earlier run")
    env = {
        **os.environ,
        "SLOTWISE_DATA_DIR": str(tmp_path),
        "PYTHONPATH": str(SRC),
        "SLOTWISE_LOG_LEVEL": "WARNING",
    }
    for name in ("DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR", "REDIS_URL", "SLOTWISE_ENV"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "slotwise",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "1",
            "--no-worker",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310 - our own server
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("slotwise serve did not answer within 120 s") from None
                time.sleep(0.3)
        assert not stale.exists()
        for _ in range(29):  # one connection each, so both gunicorn workers take some
            with urllib.request.urlopen(f"{base}/healthz", timeout=10):  # noqa: S310
                pass
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as r:  # noqa: S310
            text = r.read().decode()
        pids = {re.search(r"_(\d+)\.db$", p.name).group(1) for p in (tmp_path / "prometheus").glob("*.db")}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    line = re.search(
        r'^slotwise_http_request_duration_seconds_count\{method="GET",route="healthz",status="2xx"\} (\S+)$',
        text,
        re.M,
    )
    assert line and float(line.group(1)) == 30, text[:2000]
    assert len(pids) >= 1
