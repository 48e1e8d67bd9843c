"""Issue 10, "tzdata changes": the booked instant stays; bookings record the tzdata version and the wall
times they showed; under other rules `slotwise tzdata check` lists the upcoming bookings whose host-local
or invitee-local wall time moved, and the start-up job flags them and sends both sides an updated
invitation (SEQUENCE + 1).

The other rules are a real older tzdata wheel from PyPI (2025.2, i.e. 2025b), unpacked into a temporary
directory and put first on PYTHONPATH of a subprocess (zoneinfo falls back to the `tzdata` package, and
importlib.metadata reports its version). Bookings are made here under the pinned tzdata (2026.6). Zones
chosen because their rules differ between the two (checked below, not assumed):
- Africa/Casablanca: 2025b keeps UTC+1 outside Ramadan in January 2027, 2026.6 has UTC+0;
- America/Havana: 2025b has UTC-5 in winter (December 2026), 2026.6 UTC-4.
"""

import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import Client
from icalendar import Calendar

from slotwise.bookings import tzdata
from slotwise.bookings.models import Booking
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.jobs.services import run_due
from slotwise.scheduling.models import EventType
from tests import factories as f
from tests.jobs.process import SRC, database_url
from tests.notifications.smtp import calendar_part

pytestmark = pytest.mark.django_db(transaction=True)

OLD = "2025.2"


def utc(*a):
    return datetime(*a, tzinfo=UTC)


@pytest.fixture(scope="session")
def old_tzdata(tmp_path_factory) -> Path:
    """The tzdata 2025.2 wheel, unpacked: a directory to put first on PYTHONPATH."""
    folder = tmp_path_factory.mktemp("tzdata-old")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", f"tzdata=={OLD}", "--no-deps", "--quiet", "-d", str(folder)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = folder.glob("tzdata-*.whl")
    target = folder / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(target)
    return target


def under_old_rules(old_tzdata, code: str, *, env=None) -> str:
    environ = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "PYTHONPATH": f"{old_tzdata}{os.pathsep}{SRC}",
        "PYTHONTZPATH": "",
        "DJANGO_SETTINGS_MODULE": "slotwise.config.settings",
        **(env or {}),
    }
    p = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def cli_check(old_tzdata, now) -> dict:
    out = under_old_rules(
        old_tzdata,
        "import sys; from slotwise.cli import main; "
        f"sys.exit(main(['tzdata', 'check', '--json', '--now', '{now.isoformat()}']))",
    )
    return json.loads(out)


@pytest.fixture
def booked(db, smtp, now):
    org = f.org()
    casablanca = f.host(org, "karim", tz="Africa/Casablanca", email="karim@acme.example")
    utc_host = f.host(org, "grace", email="grace@acme.example")
    ets = [
        f.event_type(
            h, duration_minutes=60, increment_minutes=60, window_kind=EventType.WindowKind.ROLLING, window_days=400
        )
        for h in (casablanca, utc_host)
    ]

    def book(et, start, tz, email):
        return booking_create(
            event_type=et,
            start=start,
            now=now,
            invitee=InviteeInput(name=email.split("@")[0].title(), email=email, timezone=tz),
        )

    host_moves = book(ets[0], utc(2027, 1, 15, 10), "UTC", "ada@example.org")  # 10:00 in Casablanca
    invitee_moves = book(ets[1], utc(2026, 12, 15, 14), "America/Havana", "bea@example.org")  # 09:00 in Havana
    stays = book(ets[1], utc(2026, 12, 15, 15), "Europe/Berlin", "cy@example.org")
    run_due(now)
    smtp.received.clear()
    return host_moves, invitee_moves, stays


def test_the_two_tzdata_versions_really_differ_for_the_chosen_zones(old_tzdata):
    code = (
        "from datetime import datetime, UTC; from zoneinfo import ZoneInfo; import importlib.metadata as m; "
        "print(m.version('tzdata'), "
        "datetime(2027,1,15,10,tzinfo=UTC).astimezone(ZoneInfo('Africa/Casablanca')).strftime('%H:%M'), "
        "datetime(2026,12,15,14,tzinfo=UTC).astimezone(ZoneInfo('America/Havana')).strftime('%H:%M'))"
    )
    assert under_old_rules(old_tzdata, code).split() == [OLD, "11:00", "09:00"]
    assert tzdata.wall(utc(2027, 1, 15, 10), "Africa/Casablanca").endswith("T10:00")
    assert tzdata.wall(utc(2026, 12, 15, 14), "America/Havana").endswith("T10:00")


def test_a_booking_records_the_tzdata_version_and_both_wall_times(booked):
    host_moves, invitee_moves, _ = booked
    b = Booking.objects.get(pk=host_moves.booking_id)
    assert (b.tzdata_version, b.host_timezone, b.host_wall_start, b.invitee_wall_start) == (
        tzdata.current_version(),
        "Africa/Casablanca",
        "2027-01-15T10:00",
        "2027-01-15T10:00",
    )
    b = Booking.objects.get(pk=invitee_moves.booking_id)
    assert (b.timezone, b.invitee_wall_start) == ("America/Havana", "2026-12-15T10:00")


def test_tzdata_changes_are_listed_flagged_and_sent_as_updated_invitations(
    booked, old_tzdata, smtp, now, settings, monkeypatch
):
    host_moves, invitee_moves, stays = booked

    listed = cli_check(old_tzdata, now)
    assert listed["tzdata"] == OLD
    rows = {r["booking"]: r for r in listed["bookings"]}
    assert set(rows) == {str(host_moves.booking.uid), str(invitee_moves.booking.uid)}  # not the Berlin one
    (m,) = rows[str(host_moves.booking.uid)]["moves"]
    assert (m["side"], m["zone"], m["was"], m["now"]) == (
        "host",
        "Africa/Casablanca",
        "2027-01-15T10:00",
        "2027-01-15T11:00",
    )
    (m,) = rows[str(invitee_moves.booking.uid)]["moves"]
    assert (m["side"], m["zone"], m["was"], m["now"]) == (
        "invitee",
        "America/Havana",
        "2026-12-15T10:00",
        "2026-12-15T09:00",
    )
    assert {r["status"] for r in rows.values()} == {"pending"}

    # Start-up under the old rules: `slotwise worker` queues the review through the Job table once per
    # tzdata version; the review queues the emails, which go out through SMTP. (--once: run what is due and
    # exit; three runs, for the review, then its emails; "now" is the tests' frozen clock.)
    from slotwise.jobs.models import Job

    under_old_rules(
        old_tzdata,
        (
            "import django; django.setup(); from unittest import mock; from datetime import datetime; "
            "from slotwise.cli import main; "
            f"now = datetime.fromisoformat('{now.isoformat()}'); "
            "patches = [mock.patch('slotwise.core.clock.utc_now', lambda: now), "
            "           mock.patch('slotwise.jobs.worker.utc_now', lambda: now)]; "
            "[p.start() for p in patches]; "
            "[main(['worker', '--once']) for _ in range(3)]"
        ),
        env={
            "SLOTWISE_SMTP_HOST": "127.0.0.1",
            "SLOTWISE_SMTP_PORT": str(settings.EMAIL_PORT),
            "SLOTWISE_BASE_URL": settings.BASE_URL,
        },
    )
    assert Job.objects.filter(kind=tzdata.REVIEW_JOB, key=f"tzdata:{OLD}").count() == 1

    for invitee, zone, wall in ((host_moves, "UTC", "10:00"), (invitee_moves, "America/Havana", "09:00")):
        b = Booking.objects.get(pk=invitee.booking_id)
        assert b.start == invitee.booking.start  # the instant stays
        assert b.ical_sequence == 1 and b.tzdata_version == OLD and b.tzdata_notice
        (mail,) = smtp.to(invitee.email)
        assert str(mail["Subject"]).strip().startswith("Time-zone change:")
        cal = Calendar.from_ical(calendar_part(mail).get_payload(decode=True))
        (ev,) = cal.walk("VEVENT")
        assert (str(cal["METHOD"]), str(ev["UID"]), ev["SEQUENCE"]) == ("REQUEST", b.ical_uid, 1)
        if zone == "UTC":
            assert ev.decoded("DTSTART") == b.start
        # Written in the invitee's zone under the rules now loaded (Havana 09:00 = 14:00 UTC at UTC-5 in
        # 2025b; 2026.6 would write 10:00): the wall time their calendar must show.
        assert ev["DTSTART"].params.get("TZID", "UTC") == zone
        assert ev["DTSTART"].to_ical().decode()[9:13] == wall.replace(":", "")
        host_mail = [m for m in smtp.to(b.host.user.email) if str(m["Subject"]).strip().startswith("Time-zone change:")]
        assert len(host_mail) == 1
    assert smtp.to(stays.email) == []
    assert Booking.objects.get(pk=stays.booking_id).tzdata_notice == ""

    # The host sees the flag on the dashboard's bookings list.
    monkeypatch.setattr("slotwise.web.dashboard.utc_now", lambda: now)
    client = Client()
    client.force_login(host_moves.booking.host.user)
    page = client.get("/dashboard/bookings/").content.decode()
    assert "time-zone change" in page and "Africa/Casablanca moved from 2027-01-15 10:00 to 2027-01-15 11:00" in page
    page = client.get(f"/dashboard/bookings/{host_moves.booking.uid}/").content.decode()
    assert "time-zone change" in page and "Africa/Casablanca moved from 2027-01-15 10:00 to 2027-01-15 11:00" in page

    again = cli_check(old_tzdata, now)
    assert {r["booking"]: r["status"] for r in again["bookings"]} == {
        str(host_moves.booking.uid): "notified",
        str(invitee_moves.booking.uid): "notified",
    }
