"""Recurring bookings: every occurrence checked and held by the same guard, all or nothing unless the host
allows partial bookings, one calendar event with RRULE/EXDATE, and cancelling one or the rest."""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from slotwise.bookings import calendar_object
from slotwise.bookings.models import Booking, BookingHost, Invitee, RecurringSeries
from slotwise.bookings.recurring import occurrence_cancel, recurring_booking_create, series_plan
from slotwise.bookings.services import InviteeInput, booking_create, booking_reschedule
from slotwise.core.errors import InvalidInput, SlotUnavailable
from slotwise.engine import Reason
from slotwise.jobs.models import Job
from slotwise.notifications.services import INVITEE_JOB
from slotwise.scheduling.models import BusyBlock, EventType
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday
ZOE = InviteeInput(name="Zoe Q", email="zoe@example.com", timezone="America/New_York")


def utc(*a):
    return datetime(*a, tzinfo=UTC)


def weekly(tz="Europe/Berlin", *, recurrence=EventType.Recurrence.WEEKLY, count=4, partial=False, **kw):
    host = f.host(f.org("acme"), "ana", tz=tz)
    return f.event_type(
        host, recurrence=recurrence, recurrence_count=count, recurrence_partial=partial, duration_minutes=30, **kw
    )


def book(et, start, invitee=ZOE, **kw):
    return recurring_booking_create(event_type=et, start=start, invitee=invitee, now=kw.pop("now", NOW), **kw)


def busy(et, start, minutes=30):
    BusyBlock.objects.create(
        organization=et.organization, membership=et.owner, start=start, end=start + timedelta(minutes=minutes)
    )


def occurrence_starts():
    return list(Booking.objects.order_by("start").values_list("start", "status", "series_index"))


@pytest.mark.parametrize(
    "case, tz, recurrence, count, first, expected",
    [
        (
            "Berlin, weekly Tuesday 10:00 across the spring change",
            "Europe/Berlin",
            EventType.Recurrence.WEEKLY,
            4,
            utc(2026, 3, 17, 9),
            [utc(2026, 3, 17, 9), utc(2026, 3, 24, 9), utc(2026, 3, 31, 8), utc(2026, 4, 7, 8)],
        ),
        (
            "Berlin, weekly Tuesday 10:00 across the autumn change",
            "Europe/Berlin",
            EventType.Recurrence.WEEKLY,
            3,
            utc(2026, 10, 20, 8),
            [utc(2026, 10, 20, 8), utc(2026, 10, 27, 9), utc(2026, 11, 3, 9)],
        ),
        (
            "New York, weekly Thursday 09:00 across the spring change",
            "America/New_York",
            EventType.Recurrence.WEEKLY,
            3,
            utc(2026, 3, 5, 14),
            [utc(2026, 3, 5, 14), utc(2026, 3, 12, 13), utc(2026, 3, 19, 13)],
        ),
        (
            "New York, every two weeks Wednesday 16:30 across the autumn change",
            "America/New_York",
            EventType.Recurrence.BIWEEKLY,
            3,
            utc(2026, 10, 21, 20, 30),
            [utc(2026, 10, 21, 20, 30), utc(2026, 11, 4, 21, 30), utc(2026, 11, 18, 21, 30)],
        ),
    ],
)
def test_a_series_books_every_occurrence_at_the_hosts_wall_time(case, tz, recurrence, count, first, expected):
    et = weekly(tz, recurrence=recurrence, count=count)
    made = book(et, first)
    series = made.series
    assert [i.booking.start for i in made.invitees] == expected, case
    assert [(s, st, i) for s, st, i in occurrence_starts()] == [(s, "confirmed", n) for n, s in enumerate(expected)], (
        case
    )
    assert (series.count, series.interval, series.host_timezone, series.skipped) == (
        count,
        1 if recurrence == EventType.Recurrence.WEEKLY else 2,
        tz,
        [],
    )
    # Every occurrence holds its time in the guarded table, and shares the series' calendar identity.
    assert BookingHost.objects.filter(active=True).count() == count
    assert {b.ical_uid for b in Booking.objects.all()} == {series.ical_uid}


def test_all_or_nothing_refuses_the_series_naming_the_busy_occurrence_and_writes_nothing():
    et = weekly()
    busy(et, utc(2026, 3, 31, 8))  # the third Tuesday, 10:00 Berlin (summer time)
    with pytest.raises(SlotUnavailable) as err:
        book(et, utc(2026, 3, 17, 9))
    assert "1 of the 4 meetings cannot be booked" in str(err.value)
    assert "2026-03-31 10:00: the host is busy then" in str(err.value)
    assert err.value.status == 409
    assert (Booking.objects.count(), Invitee.objects.count(), RecurringSeries.objects.count()) == (0, 0, 0)
    assert BookingHost.objects.count() == 0 and not Job.objects.exists()


def test_partial_allowed_books_the_free_occurrences_and_skips_the_others_as_exdates():
    et = weekly(partial=True)
    busy(et, utc(2026, 3, 24, 9))
    made = book(et, utc(2026, 3, 17, 9))
    assert [i.booking.series_index for i in made.invitees] == [0, 2, 3]
    assert made.series.skipped == ["2026-03-24T10:00"]
    ev = _vevent(made.first.booking)
    assert ev["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=4;INTERVAL=1"
    assert [d.dt for d in ev["EXDATE"].dts] == [datetime(2026, 3, 24, 10, tzinfo=_tz("Europe/Berlin"))]


def test_partial_still_needs_the_picked_time_itself():
    et = weekly(partial=True)
    busy(et, utc(2026, 3, 17, 9))
    with pytest.raises(SlotUnavailable, match="The first meeting of the series cannot be booked"):
        book(et, utc(2026, 3, 17, 9))
    assert not Booking.objects.exists()


def test_the_plan_lists_each_occurrence_with_its_reason():
    et = weekly()
    busy(et, utc(2026, 3, 31, 8))
    plan = series_plan(event_type=et, start=utc(2026, 3, 17, 9), now=NOW)
    assert [(o.start, o.reasons) for o in plan.occurrences] == [
        (utc(2026, 3, 17, 9), ()),
        (utc(2026, 3, 24, 9), ()),
        (utc(2026, 3, 31, 8), (Reason.BUSY,)),
        (utc(2026, 4, 7, 8), ()),
    ]
    assert not plan.bookable


def test_a_wall_time_the_clocks_skip_is_an_unavailable_occurrence():
    # A host who works Sundays 02:00-04:00 in New York: 2026-03-08 02:30 does not exist there.
    sunday = {"sun": [["02:00", "04:00"]]}
    host = f.host(f.org("night"), "nate", tz="America/New_York", weekly=sunday)
    et = f.event_type(host, recurrence="weekly", recurrence_count=3, duration_minutes=30, increment_minutes=30)
    plan = series_plan(event_type=et, start=utc(2026, 3, 1, 7, 30), now=NOW - timedelta(days=7))
    assert [(o.start, o.reasons) for o in plan.occurrences] == [
        (utc(2026, 3, 1, 7, 30), ()),
        (None, (Reason.NO_SUCH_TIME,)),
        (utc(2026, 3, 15, 6, 30), ()),
    ]


def test_round_robin_gives_the_whole_series_to_the_first_host_free_for_all_of_it():
    org = f.org("team")
    ana, ben = f.host(org, "ana", tz="Europe/Berlin"), f.host(org, "ben", tz="Europe/Berlin")
    team = f.team(org, [ana, ben])
    et = f.event_type(team=team, kind="round_robin", invitee_picks_host=False, recurrence="weekly", recurrence_count=3)
    f.pool(et, [ana, ben])
    BusyBlock.objects.create(organization=org, membership=ana, start=utc(2026, 3, 24, 9), end=utc(2026, 3, 24, 10))
    made = book(et, utc(2026, 3, 17, 9))
    assert {i.booking.host.slug for i in made.invitees} == {"ben"} and made.series.host.slug == "ben"
    assert len(made.invitees) == 3


def test_round_robin_with_partial_bookings_gives_the_series_to_the_host_free_for_the_most():
    org = f.org("team")
    ana, ben = f.host(org, "ana", tz="Europe/Berlin"), f.host(org, "ben", tz="Europe/Berlin")
    team = f.team(org, [ana, ben])
    et = f.event_type(
        team=team,
        kind="round_robin",
        invitee_picks_host=False,
        recurrence="weekly",
        recurrence_count=4,
        recurrence_partial=True,
    )
    f.pool(et, [ana, ben])
    for who, day in ((ana, 24), (ana, 31), (ben, 31)):
        BusyBlock.objects.create(
            organization=org, membership=who, start=utc(2026, 3, day, 8), end=utc(2026, 3, day, 10)
        )
    made = book(et, utc(2026, 3, 17, 9))
    assert made.series.host.slug == "ben" and {i.booking.host.slug for i in made.invitees} == {"ben"}
    assert [i.booking.series_index for i in made.invitees] == [0, 1, 3]
    assert made.series.skipped == ["2026-03-31T10:00"]


def test_the_invitation_is_one_vevent_with_the_rule_in_the_hosts_zone():
    et = weekly(recurrence=EventType.Recurrence.BIWEEKLY, count=3)
    made = book(et, utc(2026, 3, 17, 9))
    raw = _ics(made.invitees[1].booking)
    cal = icalendar.Calendar.from_ical(raw)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    ev = events[0]
    assert ev["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=3;INTERVAL=2"
    assert ev["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert ev["DTSTART"].dt == datetime(2026, 3, 17, 10, tzinfo=_tz("Europe/Berlin"))
    assert str(ev["UID"]) == made.series.ical_uid and "EXDATE" not in ev
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]


def test_cancelling_one_occurrence_adds_its_date_to_exdate_and_raises_sequence():
    et = weekly()
    made = book(et, utc(2026, 3, 17, 9))
    third = made.invitees[2].booking
    occurrence_cancel(booking=third, now=NOW, reason="holiday")
    assert occurrence_starts()[2][1] == "canceled"
    assert [s for _, s, _ in occurrence_starts()].count("confirmed") == 3
    ev = _vevent(made.first.booking)
    assert [d.dt for d in ev["EXDATE"].dts] == [datetime(2026, 3, 31, 10, tzinfo=_tz("Europe/Berlin"))]
    assert ev["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=4;INTERVAL=1" and ev["SEQUENCE"] == 1
    assert ev["STATUS"] == "CONFIRMED"
    # The series goes on, so the email about it is an update, not a CANCEL of the whole meeting.
    assert calendar_object.series_method(third, "CANCEL") == "REQUEST"
    # The freed time can be booked by someone else.
    booking_create(
        event_type=f.event_type(et.owner, duration_minutes=30),
        start=utc(2026, 3, 31, 8),
        invitee=InviteeInput(name="Max", email="max@example.com", timezone="UTC"),
        now=NOW,
    )


def test_cancelling_this_and_all_later_ones_ends_the_rule_before_it():
    et = weekly()
    made = book(et, utc(2026, 3, 17, 9))
    done = occurrence_cancel(booking=made.invitees[1].booking, now=NOW, later=True, canceler_type="invitee")
    assert [b.series_index for b in done] == [1, 2, 3]
    assert [s for _, s, _ in occurrence_starts()] == ["confirmed", "canceled", "canceled", "canceled"]
    ev = _vevent(made.first.booking)
    assert ev["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=1;INTERVAL=1" and "EXDATE" not in ev
    assert ev["SEQUENCE"] == 1
    assert BookingHost.objects.filter(active=True).count() == 1


def test_cancelling_every_occurrence_cancels_the_meeting_in_calendars():
    et = weekly(count=2)
    made = book(et, utc(2026, 3, 17, 9))
    occurrence_cancel(booking=made.first.booking, now=NOW, later=True)
    first = Booking.objects.get(pk=made.first.booking.pk)
    assert calendar_object.series_method(first, "CANCEL") == "CANCEL"
    assert _vevent(first, cancelled=True)["STATUS"] == "CANCELLED"


def test_the_series_is_emailed_once_per_change_not_once_per_occurrence():
    et = weekly()
    made = book(et, utc(2026, 3, 17, 9))
    told = Job.objects.filter(kind=INVITEE_JOB)
    assert [j.payload["what"] for j in told] == ["confirmed"]
    occurrence_cancel(booking=made.invitees[1].booking, now=NOW, later=True)
    assert [(j.payload["what"], j.payload["sequence"]) for j in told.order_by("pk")] == [
        ("confirmed", 0),
        ("canceled", 1),
    ]


@pytest.mark.parametrize(
    "case, settings, field",
    [
        ("an event type that does not repeat", {"recurrence": ""}, "recurrence"),
    ],
)
def test_a_series_of_an_event_type_that_does_not_repeat_is_refused(case, settings, field):
    host = f.host(f.org("acme"), "ana", tz="Europe/Berlin")
    et = f.event_type(host, **settings)
    with pytest.raises(InvalidInput) as err:
        book(et, utc(2026, 3, 17, 9))
    assert err.value.field == field and err.value.status == 400, case
    assert not Booking.objects.exists()


def test_an_occurrence_is_not_rescheduled_on_its_own():
    et = weekly(count=2)
    made = book(et, utc(2026, 3, 17, 9))
    with pytest.raises(InvalidInput, match="part of a series"):
        booking_reschedule(invitee=made.first, new_start=utc(2026, 3, 18, 9), now=NOW)


def test_bad_invitee_input_refuses_the_series_and_writes_nothing():
    et = weekly()
    with pytest.raises(InvalidInput) as err:
        book(et, utc(2026, 3, 17, 9), invitee=InviteeInput(name="Zoe", email="zoe-at", timezone="UTC"))
    assert err.value.field == "email"
    assert not RecurringSeries.objects.exists()


def _tz(name):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _ics(booking, **kw):
    return calendar_object.single(
        Booking.objects.get(pk=booking.pk), summary="Intro", stamp=NOW, method="REQUEST", **kw
    )


def _vevent(booking, **kw):
    return next(iter(icalendar.Calendar.from_ical(_ics(booking, **kw)).walk("VEVENT")))
