"""Issue 10: every calendar object we emit for a booking (iMIP email, .ics download, write-back copy in a
real Radicale, the private feed) is built by bookings/calendar_object.py and carries one UID and SEQUENCE."""

from datetime import UTC, datetime

import icalendar
import pytest
from django.test import Client

from slotwise.bookings.services import InviteeInput, booking_create, booking_reschedule
from slotwise.calendars.feeds import feed_for
from slotwise.calendars.services import calendars_choose, connection_add_caldav
from slotwise.jobs.services import run_due
from tests import factories as f
from tests.notifications.smtp import calendar_part

pytestmark = pytest.mark.django_db(transaction=True)


def utc(*a):
    return datetime(*a, tzinfo=UTC)


def identities(*, dav, cal_url, smtp, invitee, feed):
    """(UID, SEQUENCE, start) of the meeting as each door shows it."""
    out = {}
    mail = smtp.to(invitee.email)[-1]
    out["email"] = icalendar.Calendar.from_ical(calendar_part(mail).get_payload(decode=True)).walk("VEVENT")[0]
    resp = Client().get(f"/booked/{invitee.uid}/event.ics")
    out["download"] = icalendar.Calendar.from_ical(resp.content).walk("VEVENT")[0]
    (text,) = dav.objects(cal_url).values()
    out["write-back"] = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
    resp = Client().get(f"/feeds/{feed.token}.ics")
    out["feed"] = next(
        e
        for e in icalendar.Calendar.from_ical(resp.content).walk("VEVENT")
        if e.decoded("DTSTART").astimezone(UTC) == invitee.booking.start
    )
    return {door: (str(ev["UID"]), ev["SEQUENCE"], ev.decoded("DTSTART").astimezone(UTC)) for door, ev in out.items()}


def test_every_emitter_uses_the_one_builder_same_uid_and_sequence_in_email_download_feed_and_write_back(
    dav, smtp, now, monkeypatch
):
    monkeypatch.setattr("slotwise.calendars.views.utc_now", lambda: now)  # the feed's "recent and upcoming"
    host = f.host(f.org(), tz="Europe/Berlin")
    et = f.event_type(host, duration_minutes=60, increment_minutes=60)
    dav.mkcalendar("work")
    conn = connection_add_caldav(membership=host, url=dav.base, username=dav.user, password="pw", now=now)
    work = conn.calendars.get()
    calendars_choose(connection=conn, conflicts={work.pk}, writeback=work.pk)
    feed = feed_for(membership=host)

    invitee = booking_create(
        event_type=et,
        start=utc(2026, 3, 3, 10),
        now=now,
        invitee=InviteeInput(name="Ada", email="ada@example.org", timezone="Asia/Tokyo"),
    )
    run_due(now)
    seen = identities(dav=dav, cal_url=work.remote_id, smtp=smtp, invitee=invitee, feed=feed)
    assert set(seen.values()) == {(f"{invitee.booking.uid}@book.example.com", 0, utc(2026, 3, 3, 10))}, seen

    moved = booking_reschedule(invitee=invitee, new_start=utc(2026, 3, 4, 12), now=now)
    run_due(now)
    moved.refresh_from_db()
    seen = identities(dav=dav, cal_url=work.remote_id, smtp=smtp, invitee=moved, feed=feed)
    assert set(seen.values()) == {(f"{invitee.booking.uid}@book.example.com", 1, utc(2026, 3, 4, 12))}, seen
