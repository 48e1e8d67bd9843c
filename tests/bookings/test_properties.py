"""Listing and booking are one code path: every listed start books, and every start the service refuses
is absent from the list. Random schedules, zones, rules and busy time; each example rolls back."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotwise.bookings.availability import event_availability
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.core.errors import SlotUnavailable
from slotwise.scheduling.models import AvailabilitySchedule, BusyBlock
from tests import factories as f
from tests.hypo import examples

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 6, 9, 17, tzinfo=UTC)
ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Kiritimati"]
DAY0 = datetime(2026, 3, 7, tzinfo=UTC)  # spans the US spring-forward weekend


class Rollback(Exception):
    pass


hours = st.tuples(st.integers(0, 20), st.integers(1, 8)).map(lambda t: [[f"{t[0]:02d}:00", f"{min(24, t[0] + t[1]):02d}:00"]])
rules = st.fixed_dictionaries({
    "duration_minutes": st.sampled_from([15, 30, 45, 60, 90]),
    "increment_minutes": st.sampled_from([10, 15, 30, 60]),
    "buffer_before_minutes": st.sampled_from([0, 5, 15]),
    "buffer_after_minutes": st.sampled_from([0, 10]),
    "min_notice_minutes": st.sampled_from([0, 60, 24 * 60]),
})
busy = st.lists(st.tuples(st.integers(0, 4 * 24 * 4), st.integers(1, 12)), max_size=8)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(zone=st.sampled_from(ZONES), viewer=st.sampled_from(ZONES), weekly=hours, rules=rules, busy=busy,
       probes=st.lists(st.integers(0, 4 * 24 * 12 - 1), min_size=3, max_size=6), data=st.data())
def test_every_listed_start_books_and_every_refused_start_is_unlisted(zone, viewer, weekly, rules, busy, probes, data):
    try:
        with transaction.atomic():
            host = f.host(f.org(), weekly={d: weekly for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
            AvailabilitySchedule.objects.filter(owner=host).update(timezone=zone)
            for q, length in busy:
                start = DAY0 + timedelta(minutes=15 * q)
                BusyBlock.objects.create(organization=host.organization, membership=host, start=start,
                                         end=start + timedelta(minutes=15 * length))
            et = f.event_type(host, **rules)
            lo, hi = DAY0, DAY0 + timedelta(days=4)
            listed = event_availability(event_type=et, start=lo, end=hi, viewer_zone=viewer, now=NOW).starts()
            # Probes: arbitrary 5-minute instants in the half-open range [lo, hi), plus a few listed ones.
            candidates = {lo + timedelta(minutes=5 * p) for p in probes}
            if listed:
                candidates |= set(data.draw(st.lists(st.sampled_from(listed), min_size=1, max_size=3)))
            for n, start in enumerate(sorted(candidates)):
                with transaction.atomic():
                    try:
                        booking_create(event_type=et, start=start, now=NOW,
                                       invitee=InviteeInput(name="P", email=f"p{n}@example.com", timezone=viewer))
                        booked = True
                    except SlotUnavailable:
                        booked = False
                    transaction.set_rollback(True)  # keep the listing unchanged for the next probe
                assert booked == (start in listed), (start, listed[:5])
            raise Rollback
    except Rollback:
        pass
