"""Recurring bookings raced, each attempt on its own connection (SQLite and PostgreSQL passes): a series
holds every occurrence through the same guard as one booking, so it wins whole or writes nothing."""

from datetime import UTC, datetime

import pytest

from slotwise.bookings.models import Booking, BookingHost, Invitee, RecurringSeries
from slotwise.bookings.recurring import recurring_booking_create
from slotwise.bookings.services import InviteeInput
from slotwise.core.errors import SlotUnavailable
from tests import factories as f

from .test_concurrency import attempt, race

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TUE_17 = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
TUE_24 = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)
TUE_31 = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)  # 10:00 in Berlin, summer time


def series_attempt(event_type, start, n):
    return lambda: recurring_booking_create(
        event_type=event_type,
        start=start,
        now=NOW,
        invitee=InviteeInput(name=f"Racer {n}", email=f"racer{n}@example.com", timezone="Europe/Berlin"),
    )


@pytest.fixture
def weekly():
    host = f.host(f.org(), "ana", tz="Europe/Berlin")
    return f.event_type(host, duration_minutes=30, recurrence="weekly", recurrence_count=4)


def test_two_series_racing_for_overlapping_occurrences_one_wins_whole_and_the_other_writes_nothing(weekly):
    # 17, 24, 31 Mar, 7 Apr against 24, 31 Mar, 7, 14 Apr: three occurrences in common.
    oks, errors = race([series_attempt(weekly, TUE_17, 1), series_attempt(weekly, TUE_24, 2)])
    assert len(oks) == 1 and len(errors) == 1
    assert isinstance(errors[0], SlotUnavailable), errors[0]
    winner = oks[0]
    assert RecurringSeries.objects.count() == 1 and RecurringSeries.objects.get().pk == winner.series.pk
    assert Booking.objects.count() == 4 and Invitee.objects.count() == 4
    assert set(Booking.objects.values_list("series_id", flat=True)) == {winner.series.pk}
    assert BookingHost.objects.filter(active=True).count() == 4


def test_ten_series_racing_for_one_start_give_one_series(weekly):
    oks, errors = race([series_attempt(weekly, TUE_17, n) for n in range(10)])
    assert len(oks) == 1 and len(errors) == 9
    assert all(isinstance(e, SlotUnavailable) for e in errors), {type(e) for e in errors}
    assert RecurringSeries.objects.count() == 1 and Booking.objects.count() == 4


def test_a_series_and_a_single_booking_of_its_third_occurrence_race_and_one_of_them_wins(weekly):
    single = f.event_type(weekly.owner, duration_minutes=30)
    oks, errors = race([series_attempt(weekly, TUE_17, 1), attempt(single, TUE_31, 2)])
    assert len(oks) == 1 and len(errors) == 1 and isinstance(errors[0], SlotUnavailable)
    if RecurringSeries.objects.exists():
        assert Booking.objects.count() == 4 and not Booking.objects.filter(event_type=single).exists()
    else:
        assert list(Booking.objects.values_list("start", flat=True)) == [TUE_31]
    assert BookingHost.objects.filter(active=True).count() == Booking.objects.count()
