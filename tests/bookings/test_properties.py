"""Listing and booking are one code path: every listed start books, and every start the service refuses
is absent from the list. Random schedules, zones, rules and busy time; each example rolls back."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotwise.bookings.availability import event_availability
from slotwise.bookings.models import Booking, BookingHost
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.core.errors import SlotUnavailable
from slotwise.scheduling import services as scheduling
from slotwise.scheduling.models import AvailabilitySchedule, BusyBlock
from tests import factories as f
from tests.hypo import examples

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 6, 9, 17, tzinfo=UTC)
ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Kiritimati"]
DAY0 = datetime(2026, 3, 7, tzinfo=UTC)  # spans the US spring-forward weekend


class Rollback(Exception):
    pass


hours = st.tuples(st.integers(0, 20), st.integers(1, 8)).map(
    lambda t: [[f"{t[0]:02d}:00", f"{min(24, t[0] + t[1]):02d}:00"]]
)
rules = st.fixed_dictionaries(
    {
        "duration_minutes": st.sampled_from([15, 30, 45, 60, 90]),
        "increment_minutes": st.sampled_from([10, 15, 30, 60]),
        "buffer_before_minutes": st.sampled_from([0, 5, 15]),
        "buffer_after_minutes": st.sampled_from([0, 10]),
        "min_notice_minutes": st.sampled_from([0, 60, 24 * 60]),
        # The limits and the cut-off, counted against the meetings drawn below.
        "daily_limit": st.sampled_from([None, None, 1, 2]),
        "weekly_limit": st.sampled_from([None, None, 2]),
        "monthly_limit": st.sampled_from([None, 3]),
        "daily_minutes_limit": st.sampled_from([None, None, 60, 120]),
        "weekly_minutes_limit": st.sampled_from([None, 180]),
    }
)
busy = st.lists(st.tuples(st.integers(0, 4 * 24 * 4), st.integers(1, 12)), max_size=8)
host_limits = st.fixed_dictionaries(
    {
        "daily_limit": st.sampled_from([None, None, 2]),
        "weekly_minutes_limit": st.sampled_from([None, None, 150]),
    }
)
# Existing meetings: (2-hour slot from DAY0 - 1 day, minutes, of this event type?), one per slot.
meetings = st.lists(
    st.tuples(st.integers(0, 5 * 12), st.sampled_from([15, 60]), st.booleans()), max_size=5, unique_by=lambda m: m[0]
)
extras = st.fixed_dictionaries(
    {
        "away": st.sampled_from([None, None, 0, 1, 2]),  # the day (from DAY0) the host is out of office
        "stay": st.one_of(st.none(), st.tuples(st.sampled_from(ZONES), st.integers(0, 3), st.integers(0, 2))),
        "daylight": st.one_of(st.none(), hours),
    }
)


def add_rules(host, other, extra, host_limit_values, meeting_list):
    """Out of office, travel, seasonal hours, host limits and existing meetings, written as the doors do."""
    scheduling.host_limits_set(host=host, values=host_limit_values)
    if extra["away"] is not None:
        day = (DAY0 + timedelta(days=extra["away"])).date()
        scheduling.out_of_office_add(host=host, first=day, last=day)
    if extra["stay"] is not None:
        zone, first, length = extra["stay"]
        day = (DAY0 + timedelta(days=first)).date()
        scheduling.travel_add(host=host, timezone=zone, first=day, last=day + timedelta(days=length))
    if extra["daylight"] is not None:
        AvailabilitySchedule.objects.filter(owner=host).update(
            weekly_daylight={d: extra["daylight"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        )
    for slot, minutes, this_event in meeting_list:
        start = DAY0 - timedelta(days=1) + timedelta(hours=2 * slot)
        et = other[0] if this_event else other[1]
        b = Booking.objects.create(
            organization=host.organization,
            event_type=et,
            host=host,
            start=start,
            end=start + timedelta(minutes=minutes),
            timezone="UTC",
            duration_minutes=minutes,
        )
        BookingHost.objects.create(booking=b, membership=host, block_start=b.start, block_end=b.end)


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    zone=st.sampled_from(ZONES),
    viewer=st.sampled_from(ZONES),
    weekly=hours,
    rules=rules,
    busy=busy,
    probes=st.lists(st.integers(0, 4 * 24 * 12 - 1), min_size=3, max_size=6),
    data=st.data(),
    extra=extras,
    host_limit_values=host_limits,
    meeting_list=meetings,
)
def test_every_listed_start_books_and_every_refused_start_is_unlisted(
    zone, viewer, weekly, rules, busy, probes, data, extra, host_limit_values, meeting_list
):
    try:
        with transaction.atomic():
            host = f.host(f.org(), weekly={d: weekly for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
            AvailabilitySchedule.objects.filter(owner=host).update(timezone=zone)
            for q, length in busy:
                start = DAY0 + timedelta(minutes=15 * q)
                BusyBlock.objects.create(
                    organization=host.organization,
                    membership=host,
                    start=start,
                    end=start + timedelta(minutes=15 * length),
                )
            et = f.event_type(host, **rules)
            add_rules(host, (et, f.event_type(host)), extra, host_limit_values, meeting_list)
            lo, hi = DAY0, DAY0 + timedelta(days=4)
            listed = event_availability(event_type=et, start=lo, end=hi, viewer_zone=viewer, now=NOW).starts()
            # Probes: arbitrary 5-minute instants in the half-open range [lo, hi), plus a few listed ones.
            candidates = {lo + timedelta(minutes=5 * p) for p in probes}
            if listed:
                candidates |= set(data.draw(st.lists(st.sampled_from(listed), min_size=1, max_size=3)))
            for n, start in enumerate(sorted(candidates)):
                with transaction.atomic():
                    try:
                        booking_create(
                            event_type=et,
                            start=start,
                            now=NOW,
                            invitee=InviteeInput(name="P", email=f"p{n}@example.com", timezone=viewer),
                        )
                        booked = True
                    except SlotUnavailable:
                        booked = False
                    transaction.set_rollback(True)  # keep the listing unchanged for the next probe
                assert booked == (start in listed), (start, listed[:5])
            raise Rollback
    except Rollback:
        pass
