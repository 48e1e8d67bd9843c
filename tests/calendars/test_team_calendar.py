"""Seed 000: "support" bookings are copied to a shared team calendar and removed on cancel."""

from datetime import UTC, datetime

import icalendar
import pytest

from slotwise.automation.models import RuleRun
from slotwise.automation.services import rule_create
from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create, booking_reschedule
from slotwise.calendars.models import CalendarEvent
from slotwise.calendars.services import connection_add_caldav
from slotwise.calendars.writeback import copy_to_calendar, uncopy_from_calendar
from slotwise.core.errors import InvalidInput, NotFound
from slotwise.jobs.services import run_due
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def utc(*a):
    return datetime(*a, tzinfo=UTC)


@pytest.fixture
def support_team(dav, now):
    org = f.org()
    lead = f.host(org, "lead", role="admin")
    eng1 = f.host(org, "eng1")
    eng2 = f.host(org, "eng2")
    team_cal = dav.mkcalendar("support-team")
    conn = connection_add_caldav(membership=lead, url=dav.base, username=dav.user, password="pw", now=now)
    cal = conn.calendars.get()
    support1 = f.event_type(eng1, name="Support call (1h)", duration_minutes=60)
    support2 = f.event_type(eng2, name="Customer SUPPORT", duration_minutes=30)
    sales = f.event_type(eng1, name="Sales demo", duration_minutes=30)
    return {
        "org": org,
        "conn": conn,
        "cal": cal,
        "url": team_cal,
        "support1": support1,
        "support2": support2,
        "sales": sales,
    }


def book(et, start, now, name="Grace Hopper", email="grace@example.org"):
    return booking_create(
        event_type=et, start=start, invitee=InviteeInput(name=name, email=email, timezone="UTC"), now=now
    )


def summaries(dav, url):
    out = []
    for text in dav.objects(url).values():
        ev = next(iter(icalendar.Calendar.from_ical(text).walk("VEVENT")))
        out.append((str(ev["SUMMARY"]), ev["DTSTART"].dt))
    return sorted(out, key=lambda x: x[1])


def test_a_rule_copies_support_bookings_to_the_team_calendar_and_removes_them_on_cancel(dav, support_team, now):
    t = support_team
    rule_create(
        organization=t["org"],
        name="Support to team calendar",
        trigger="booking.created",
        action="copy_to_calendar",
        filters=[{"field": "event_type", "op": "contains", "value": "support"}],
        params={"connection_id": t["conn"].pk, "calendar": t["cal"].remote_id},
    )
    a = book(t["support1"], utc(2026, 3, 3, 9), now)
    b = book(t["support2"], utc(2026, 3, 3, 14), now, name="Alan Turing", email="alan@example.org")
    book(t["sales"], utc(2026, 3, 3, 11), now)
    run_due(now)  # a worker ticks within seconds: "within a minute"

    assert summaries(dav, t["url"]) == [
        ("Support call (1h) with Grace Hopper", utc(2026, 3, 3, 9)),
        ("Customer SUPPORT with Alan Turing", utc(2026, 3, 3, 14)),
    ]
    assert sorted(RuleRun.objects.values_list("status", flat=True)) == ["done", "done"]
    # The lead also counts that calendar for conflicts: the team's copies do not make the lead busy.
    from slotwise.calendars.sync import sync_connection
    from slotwise.scheduling.models import BusyBlock

    assert sync_connection(connection=t["conn"], now=now).ok
    assert not BusyBlock.objects.filter(source=t["conn"].busy_source).exists()

    booking_cancel(booking=a.booking, now=now)
    run_due(now)
    assert summaries(dav, t["url"]) == [("Customer SUPPORT with Alan Turing", utc(2026, 3, 3, 14))]
    assert list(CalendarEvent.objects.values_list("booking_id", flat=True)) == [b.booking_id]

    # A reschedule takes the copy along: the old time leaves the team calendar, the new one arrives.
    moved = booking_reschedule(invitee=b, new_start=utc(2026, 3, 5, 10), now=now)
    run_due(now)
    assert summaries(dav, t["url"]) == [("Customer SUPPORT with Alan Turing", utc(2026, 3, 5, 10))]
    assert list(CalendarEvent.objects.values_list("booking_id", flat=True)) == [moved.booking_id]


def test_do_and_undo_directly(dav, support_team, now):
    t = support_team
    inv = book(t["support1"], utc(2026, 3, 4, 10), now)
    params = {"connection_id": t["conn"].pk, "calendar": str(t["cal"].pk)}
    state = copy_to_calendar(rule=None, booking=inv.booking, params=params, now=now)
    assert state["calendar_id"] == t["cal"].pk
    assert state["href"].endswith(".ics")
    # a retry of the same action does not make a second event
    assert copy_to_calendar(rule=None, booking=inv.booking, params=params, now=now)["href"] == state["href"]
    assert summaries(dav, t["url"]) == [("Support call (1h) with Grace Hopper", utc(2026, 3, 4, 10))]
    uncopy_from_calendar(rule=None, booking=inv.booking, params=params, state=state, now=now)
    assert summaries(dav, t["url"]) == []
    # undoing twice is harmless (the event is already gone)
    uncopy_from_calendar(rule=None, booking=inv.booking, params=params, state=state, now=now)


def test_bad_params_say_what_to_fix(dav, support_team, now):
    t = support_team
    inv = book(t["support1"], utc(2026, 3, 4, 10), now)
    with pytest.raises(InvalidInput, match="Choose the calendar to copy into"):
        copy_to_calendar(rule=None, booking=inv.booking, params={}, now=now)
    with pytest.raises(InvalidInput, match="'nope' is not a calendar of that connection"):
        copy_to_calendar(
            rule=None, booking=inv.booking, params={"connection_id": t["conn"].pk, "calendar": "nope"}, now=now
        )
    other_org_host = f.host(f.org())
    other = connection_add_caldav(membership=other_org_host, url=dav.base, username=dav.user, password="pw", now=now)
    with pytest.raises(NotFound, match="not in this organization"):
        copy_to_calendar(rule=None, booking=inv.booking, params={"connection_id": other.pk}, now=now)
