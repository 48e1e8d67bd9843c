"""Limits, out of office, travel, seasonal hours and cut-offs through the booking service: the write path
refuses what the engine does not offer, in words, writing nothing; invitees are bound by cut-offs, hosts not."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from slotwise.bookings.availability import event_availability
from slotwise.bookings.models import Booking
from slotwise.bookings.services import (
    InviteeInput,
    booking_cancel,
    booking_create,
    booking_reschedule,
    change_closed,
    invitee_cancel,
)
from slotwise.core.errors import ChangeClosed, InvalidInput, SlotUnavailable
from slotwise.engine import Reason
from slotwise.scheduling import services as scheduling
from slotwise.scheduling.models import AvailabilitySchedule
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Monday
EVERY_DAY = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def U(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def book(et, start, n=0, *, now=NOW, **kw):
    return booking_create(
        event_type=et,
        start=start,
        now=now,
        invitee=InviteeInput(name=f"Invitee {n}", email=f"i{n}@example.com", timezone="Europe/Berlin"),
        **kw,
    )


def berlin_host(slug="ana", org=None):
    return f.host(org or f.org(), slug, tz="Europe/Berlin", weekly=EVERY_DAY, email=f"{slug}@example.com")


def test_host_weekly_limit_counts_every_event_type_and_is_refused_in_words():
    ana = berlin_host()
    scheduling.host_limits_set(host=ana, values={"weekly_limit": "2"})
    intro, demo = f.event_type(ana, duration_minutes=30), f.event_type(ana, duration_minutes=60, increment_minutes=60)
    book(intro, U(2026, 3, 2, 8), 1)
    book(demo, U(2026, 3, 3, 8), 2)
    with pytest.raises(SlotUnavailable, match="the host takes no more meetings that week"):
        book(intro, U(2026, 3, 4, 8), 3)
    assert Booking.objects.count() == 2
    # Sunday 8 Mar is still that week; Monday 9 Mar 09:00 CET is the next.
    with pytest.raises(SlotUnavailable):
        book(intro, U(2026, 3, 8, 8), 4)
    assert book(intro, U(2026, 3, 9, 8), 5).booking.start == U(2026, 3, 9, 8)


def test_an_organization_whose_weeks_start_on_sunday_counts_sunday_with_the_next_week():
    org = f.org(week_start=6)
    ana = berlin_host(org=org)
    et = f.event_type(ana, duration_minutes=30, weekly_limit=1)
    book(et, U(2026, 3, 2, 8), 1)  # Monday
    assert book(et, U(2026, 3, 8, 8), 2).booking  # Sunday 8 Mar opens the week of 8-14 Mar
    with pytest.raises(SlotUnavailable, match="weekly limit for this event"):
        book(et, U(2026, 3, 9, 8), 3)


def test_a_daily_limit_counts_the_hosts_day_not_the_utc_day():
    # Tokyo 09:00-17:00 is 00:00-08:00 UTC; a meeting at 23:30 UTC on 1 Mar is 08:30 on 2 Mar in Tokyo.
    tokyo = f.host(f.org(), "ken", tz="Asia/Tokyo", weekly={d: [["08:00", "17:00"]] for d in EVERY_DAY})
    scheduling.host_limits_set(host=tokyo, values={"daily_limit": 1})
    et = f.event_type(tokyo, duration_minutes=30)
    book(et, U(2026, 3, 2, 23, 30), 1, now=U(2026, 3, 1))  # Tue 3 Mar 08:30 JST
    with pytest.raises(SlotUnavailable, match="no more meetings that day"):
        book(et, U(2026, 3, 3, 1), 2, now=U(2026, 3, 1))  # Tue 3 Mar 10:00 JST, a UTC day apart
    assert book(et, U(2026, 3, 2, 1), 3, now=U(2026, 3, 1)).booking  # Mon 2 Mar 10:00 JST


def test_minutes_a_day_leave_room_for_a_shorter_meeting_only():
    ana = berlin_host()
    long_, short = f.event_type(ana, duration_minutes=60), f.event_type(ana, duration_minutes=30)
    scheduling.host_limits_set(host=ana, values={"daily_minutes_limit": 90})
    book(long_, U(2026, 3, 3, 8), 1)
    with pytest.raises(SlotUnavailable, match="meeting time for that day is used up"):
        book(long_, U(2026, 3, 3, 10), 2)
    assert book(short, U(2026, 3, 3, 10), 3).booking


def test_rescheduling_inside_a_full_week_moves_the_meeting():
    ana = berlin_host()
    et = f.event_type(ana, duration_minutes=30, weekly_limit=1)
    first = book(et, U(2026, 3, 3, 8), 1)
    moved = booking_reschedule(invitee=first, new_start=U(2026, 3, 5, 8), now=NOW)
    assert moved.booking.start == U(2026, 3, 5, 8)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"weekly_limit": "0"}, "Bookings a week must be a whole number of bookings from 1 to 5000, or empty for none"),
        ({"daily_minutes_limit": "2000"}, "Minutes booked a day must be a whole number of minutes from 1 to 1440"),
        ({"monthly_limit": "lots"}, "Bookings a month must be a whole number"),
        ({"cutoff_hours": "-1"}, "The cut-off must be a whole number of hours from 1 to 8760"),
    ],
)
def test_bad_limits_are_refused_in_words_and_nothing_changes(values, message):
    ana = berlin_host()
    et = f.event_type(ana)
    with pytest.raises(InvalidInput, match=message):
        scheduling.event_type_update(event_type=et, values=values, now=NOW)
    et.refresh_from_db()
    assert (et.weekly_limit, et.daily_minutes_limit, et.monthly_limit, et.cutoff_hours) == (None, None, None, None)


# --- out of office -------------------------------------------------------------------------------------


def test_out_of_office_days_offer_nothing_and_refuse_bookings():
    ana = berlin_host()
    scheduling.out_of_office_add(host=ana, first="2026-03-04", last="2026-03-05", reason="Conference")
    et = f.event_type(ana, duration_minutes=60, increment_minutes=60)
    listed = event_availability(event_type=et, start=U(2026, 3, 3), end=U(2026, 3, 7), viewer_zone="UTC", now=NOW)
    assert sorted(listed.days) == [date(2026, 3, 3), date(2026, 3, 6)]
    with pytest.raises(SlotUnavailable, match="out of office"):
        book(et, U(2026, 3, 4, 8))
    with pytest.raises(InvalidInput, match="already out of office"):
        scheduling.out_of_office_add(host=ana, first="2026-03-05", last="2026-03-06")
    with pytest.raises(InvalidInput, match="The last day is before the first"):
        scheduling.out_of_office_add(host=ana, first="2026-03-09", last="2026-03-08")


def test_round_robin_skips_a_host_out_of_office_and_gives_them_their_turn_back():
    org = f.org()
    hosts = [berlin_host(s, org) for s in ("a", "b", "c")]
    et = f.event_type(
        team=f.team(org, hosts, tz="Europe/Berlin"), kind="round_robin", duration_minutes=30, invitee_picks_host=False
    )
    rng = random.Random(4)

    def at(start, n):  # booked n minutes after NOW, so "least recently booked" has an order
        return book(et, start, n, rng=rng, now=NOW + n * timedelta(minutes=1)).booking.host.slug

    order = [at(U(2026, 3, 3, 8 + n), n) for n in range(3)]
    assert sorted(order) == ["a", "b", "c"]
    away = next(h for h in hosts if h.slug == order[0])  # the next in line
    scheduling.out_of_office_add(host=away, first="2026-03-04", last="2026-03-04")
    wednesday = [at(U(2026, 3, 4, 8 + n), 10 + n) for n in range(2)]
    assert wednesday == order[1:]
    # Back on Thursday: still first in line, not sent to the back.
    assert at(U(2026, 3, 5, 8), 20) == order[0]


# --- travel and seasonal hours -----------------------------------------------------------------------------


def test_a_host_travelling_to_tokyo_is_booked_in_tokyo_hours():
    ana = berlin_host()
    scheduling.travel_add(host=ana, timezone="Asia/Tokyo", first="2026-03-03", last="2026-03-20")
    et = f.event_type(ana, duration_minutes=60, increment_minutes=60)
    day = event_availability(event_type=et, start=U(2026, 3, 3), end=U(2026, 3, 4), viewer_zone="UTC", now=NOW)
    assert day.starts() == [U(2026, 3, 3, h) for h in range(0, 8)]  # 09-17 JST
    with pytest.raises(SlotUnavailable, match="outside the host's hours"):
        book(et, U(2026, 3, 3, 8))  # 09:00 CET, but she is in Tokyo
    with pytest.raises(InvalidInput, match="unknown|not a time zone|zone"):
        scheduling.travel_add(host=ana, timezone="Asia/Atlantis", first="2026-04-01", last="2026-04-02")


def test_seasonal_hours_keep_the_same_utc_hours_across_the_us_spring_forward():
    ny = f.host(f.org(), "nat", tz="America/New_York", weekly=EVERY_DAY)
    schedule = AvailabilitySchedule.objects.get(owner=ny)
    scheduling.schedule_seasons_set(schedule=schedule, daylight={d: [["10:00", "18:00"]] for d in EVERY_DAY}, now=NOW)
    et = f.event_type(ny, duration_minutes=60, increment_minutes=60)
    got = event_availability(event_type=et, start=U(2026, 3, 7), end=U(2026, 3, 9), viewer_zone="UTC", now=NOW)
    # Sat 7 Mar 09:00 EST and Sun 8 Mar 10:00 EDT are both 14:00 UTC.
    assert [s[0] for s in got.days.values()] == [U(2026, 3, 7, 14), U(2026, 3, 8, 14)]


def test_seasonal_hours_for_a_zone_without_daylight_time_are_refused():
    ken = f.host(f.org(), "ken", tz="Asia/Tokyo")
    with pytest.raises(InvalidInput, match="keeps no daylight saving time"):
        scheduling.schedule_seasons_set(
            schedule=AvailabilitySchedule.objects.get(owner=ken), daylight={"mon": [["08:00", "16:00"]]}, now=NOW
        )


# --- cut-offs ------------------------------------------------------------------------------------------------


def test_an_invitee_cannot_cancel_inside_the_cutoff_and_is_told_how_to_reach_the_host():
    ana = berlin_host()
    et = f.event_type(ana, duration_minutes=30, cutoff_hours=24)
    inv = book(et, U(2026, 3, 4, 8))
    late = U(2026, 3, 3, 8, 1)  # 23 h 59 min before
    assert change_closed(booking=inv.booking, now=late) == Reason.CUTOFF
    with pytest.raises(ChangeClosed, match=r"less than 24 hours.*write to the host at ana@example.com"):
        invitee_cancel(invitee=inv, now=late)
    with pytest.raises(ChangeClosed, match="can no longer be rescheduled"):
        booking_reschedule(invitee=inv, new_start=U(2026, 3, 5, 8), now=late)
    inv.booking.refresh_from_db()
    assert inv.booking.status == Booking.Status.CONFIRMED
    # Exactly 24 hours ahead the invitee still may; the host always may.
    assert change_closed(booking=inv.booking, now=U(2026, 3, 3, 8)) is None
    assert booking_reschedule(invitee=inv, new_start=U(2026, 3, 5, 8), now=late, by_host=ana).booking
    moved = Booking.objects.get(start=U(2026, 3, 5, 8))
    assert booking_cancel(booking=moved, now=U(2026, 3, 5, 7, 30)).status == Booking.Status.CANCELED


def test_a_past_meeting_cannot_be_canceled_by_its_invitee_even_without_a_cutoff():
    ana = berlin_host()
    et = f.event_type(ana, duration_minutes=30)
    inv = book(et, U(2026, 3, 4, 8))
    with pytest.raises(ChangeClosed, match="has already started"):
        invitee_cancel(invitee=inv, now=U(2026, 3, 4, 8))
    with pytest.raises(ChangeClosed):
        booking_cancel(booking=inv.booking, now=U(2026, 3, 5), canceler_type="invitee")
    assert invitee_cancel(invitee=inv, now=U(2026, 3, 4, 7, 59)).status == Booking.Status.CANCELED
