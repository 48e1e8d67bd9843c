"""POST /invitees on an event type that repeats books the whole series, as the booking page does: every
meeting a scheduled event in Calendly's shape, `slotwise_series` beside it; all or nothing."""

from slotwise.bookings.models import Booking
from slotwise.scheduling.models import EventType

from .conftest import book
from .test_scheduled_events import _book_body, at


def weekly(world, count=3):
    world.et.recurrence, world.et.recurrence_count = EventType.Recurrence.WEEKLY, count
    world.et.save()


def test_booking_a_weekly_event_type_books_every_meeting(world):
    weekly(world)
    r = world.api.post("/invitees", _book_body(world))
    assert r.status_code == 201, r.content
    starts = list(Booking.objects.filter(event_type=world.et).order_by("start").values_list("start", flat=True))
    # Tuesday 11:00 in Berlin, three weeks running; Europe changes its clocks on 29 March, after these.
    assert starts == [at(3, 10), at(10, 10), at(17, 10)]
    event = world.api.get(r.json()["resource"]["event"]).json()["resource"]
    assert event["start_time"] == "2026-03-03T10:00:00.000000Z"
    assert event["slotwise_series"]["occurrence"] == 0
    assert event["slotwise_series"]["rrule"] == "FREQ=WEEKLY;INTERVAL=1;COUNT=3"


def test_a_series_with_one_taken_meeting_is_refused_whole(world):
    book(world.et, at(10, 10), email="first@example.com")  # the second week's meeting is taken
    weekly(world)
    r = world.api.post("/invitees", _book_body(world))
    assert r.status_code == 409, r.content
    assert "cannot be booked" in r.json()["message"]
    assert Booking.objects.filter(event_type=world.et).count() == 1
