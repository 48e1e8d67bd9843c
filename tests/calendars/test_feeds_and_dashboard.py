"""Private ICS feeds out (host and team, rotation) and the host's calendar settings page."""

from datetime import UTC, datetime

import icalendar
import pytest
from django.test import Client

from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create
from slotwise.calendars.feeds import feed_for, feed_rotate
from slotwise.calendars.models import CalendarConnection
from slotwise.calendars.services import connection_add_caldav
from slotwise.calendars.sync import sync_connection
from slotwise.scheduling.models import EventType
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def utc(*a):
    return datetime(*a, tzinfo=UTC)


@pytest.fixture(autouse=True)
def door_clock(monkeypatch, now):
    """The views read the clock at the door; freeze it there."""
    monkeypatch.setattr("slotwise.calendars.views.utc_now", lambda: now)


def book(et, start, now, name="Ada", host=None):
    return booking_create(
        event_type=et,
        start=start,
        invitee=InviteeInput(name=name, email=f"{name.lower()}@example.org", timezone="UTC"),
        now=now,
        host=host,
    )


def events(resp):
    assert resp.status_code == 200
    assert resp["Content-Type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(resp.content)
    return sorted((str(e["SUMMARY"]), e["DTSTART"].dt) for e in cal.walk("VEVENT"))


def test_a_hosts_feed_lists_their_confirmed_bookings_and_rotating_revokes_the_old_url(now):
    org = f.org()
    host, other = f.host(org), f.host(org)
    et = f.event_type(host, name="Intro", duration_minutes=30)
    et_other = f.event_type(other, name="Other", duration_minutes=30)
    book(et, utc(2026, 3, 3, 9), now, "Ada")
    gone = book(et, utc(2026, 3, 3, 10), now, "Bob")
    book(et_other, utc(2026, 3, 3, 11), now, "Cy")
    booking_cancel(booking=gone.booking, now=now)

    feed = feed_for(membership=host)
    c = Client()
    assert events(c.get(f"/feeds/{feed.token}.ics")) == [("Intro with Ada", utc(2026, 3, 3, 9))]

    old = feed.token
    feed_rotate(feed=feed, now=now)
    assert c.get(f"/feeds/{old}.ics").status_code == 404
    assert events(c.get(f"/feeds/{feed.token}.ics")) == [("Intro with Ada", utc(2026, 3, 3, 9))]


def test_a_teams_feed_lists_its_team_events_for_every_host(now):
    org = f.org()
    a, b = f.host(org, "a"), f.host(org, "b")
    team = f.team(org, [a, b])
    rr = f.event_type(team=team, name="Support call", kind=EventType.Kind.ROUND_ROBIN, duration_minutes=30)
    f.pool(rr, [a, b])
    personal = f.event_type(a, name="Personal", duration_minutes=30)
    book(rr, utc(2026, 3, 3, 9), now, "Ada", host=a)
    book(rr, utc(2026, 3, 3, 9), now, "Bob", host=b)
    book(personal, utc(2026, 3, 3, 12), now, "Cy")
    feed = feed_for(team=team)
    assert events(Client().get(f"/feeds/{feed.token}.ics")) == [
        ("Support call with Ada", utc(2026, 3, 3, 9)),
        ("Support call with Bob", utc(2026, 3, 3, 9)),
    ]


def test_an_unknown_feed_is_a_404_not_a_500():
    assert Client().get("/feeds/nope.ics").status_code == 404


def test_the_dashboard_needs_a_login():
    resp = Client().get("/dashboard/calendars/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/")


def test_the_dashboard_shows_last_sync_and_errors_and_saves_choices(dav, now):
    org = f.org()
    host = f.host(org)
    dav.mkcalendar("work")
    dav.mkcalendar("family")
    conn = connection_add_caldav(membership=host, url=dav.base, username=dav.user, password="hunter2", now=now)
    sync_connection(connection=conn, now=now)
    CalendarConnection.objects.filter(pk=conn.pk).update(last_error="GET https://x/: HTTP 503")
    c = Client()
    c.force_login(host.user)
    page = c.get("/dashboard/calendars/").content.decode()
    assert "Last sync: 2026-03-02 08:00 UTC" in page
    assert "Sync error: GET https://x/: HTTP 503" in page
    assert "hunter2" not in page
    assert "/feeds/" in page

    work = conn.calendars.get(remote_id__endswith="/work/")
    family = conn.calendars.get(remote_id__endswith="/family/")
    resp = c.post(
        f"/dashboard/calendars/{conn.pk}/", {"conflicts": [work.pk], "writeback": family.pk, "unreachable": "free"}
    )
    assert resp.status_code == 302
    work.refresh_from_db(), family.refresh_from_db(), conn.refresh_from_db()
    assert (work.use_for_conflicts, work.is_writeback) == (True, False)
    assert (family.use_for_conflicts, family.is_writeback) == (False, True)
    assert conn.unreachable == "free"

    # Another host cannot touch this connection.
    intruder = Client()
    intruder.force_login(f.host(org).user)
    assert intruder.post(f"/dashboard/calendars/{conn.pk}/delete/").status_code == 302
    assert CalendarConnection.objects.filter(pk=conn.pk).exists()


def test_adding_a_caldav_account_with_a_wrong_address_says_so(now):
    host = f.host(f.org())
    c = Client()
    c.force_login(host.user)
    resp = c.post("/dashboard/calendars/caldav/", {"url": "not a url", "username": "u", "password": "p"}, follow=True)
    assert resp.status_code == 200
    assert "is not an http(s) URL" in resp.content.decode()
    assert CalendarConnection.objects.count() == 0


def test_adding_an_ics_feed_from_the_dashboard(now):
    host = f.host(f.org())
    c = Client()
    c.force_login(host.user)
    resp = c.post("/dashboard/calendars/ics/", {"url": "webcal://example.org/cal.ics", "name": "School"})
    assert resp.status_code == 302
    conn = CalendarConnection.objects.get()
    assert (conn.kind, conn.url, conn.name) == ("ics", "https://example.org/cal.ics", "School")
