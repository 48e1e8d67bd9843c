"""The booking service: what it accepts, what it refuses (clearly, writing nothing), and what it records."""

from datetime import UTC, datetime, timedelta

import pytest

from slotwise.bookings.models import Booking, BookingHost, Invitee
from slotwise.bookings.services import (
    InviteeInput,
    booking_cancel,
    booking_create,
    booking_reschedule,
    invitee_cancel,
)
from slotwise.contacts.models import Contact
from slotwise.core.errors import InvalidInput, SlotUnavailable
from slotwise.scheduling.models import BusyBlock
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday
TUE_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def ana(tz="UTC"):
    return f.host(f.org("acme"), "ana", tz=tz)


def book(et, start, *, email="zoe@example.com", tz="Europe/Berlin", name="Zoe Q", answers=None, **kw):
    return booking_create(
        event_type=et,
        start=start,
        now=kw.pop("now", NOW),
        invitee=InviteeInput(name=name, email=email, timezone=tz, answers=answers or {}),
        **kw,
    )


def nothing_written():
    return Booking.objects.count() == 0 and Invitee.objects.count() == 0 and Contact.objects.count() == 0


def test_books_an_offered_time_in_utc_and_keeps_the_invitee_zone():
    et = f.event_type(ana(), duration_minutes=45, increment_minutes=15)
    inv = book(et, TUE_10, tz="Asia/Kathmandu")
    b = inv.booking
    assert (b.start, b.end) == (TUE_10, TUE_10 + timedelta(minutes=45))
    assert b.timezone == "Asia/Kathmandu" and b.status == "confirmed" and b.host.slug == "ana"


@pytest.mark.parametrize(
    "case, start, tz, name, email, field",
    [
        ("unknown zone", TUE_10, "Europe/Atlantis", "Zoe", "zoe@example.com", "timezone"),
        ("abbreviation instead of zone", TUE_10, "EST5", "Zoe", "zoe@example.com", "timezone"),
        ("empty name", TUE_10, "UTC", "  ", "zoe@example.com", "name"),
        ("oversized name", TUE_10, "UTC", "Z" * 201, "zoe@example.com", "name"),
        ("not an email", TUE_10, "UTC", "Zoe", "zoe-at-example", "email"),
        ("seconds in the start", TUE_10 + timedelta(seconds=30), "UTC", "Zoe", "zoe@example.com", "start"),
    ],
)
def test_bad_invitee_input_is_a_clear_400_and_writes_nothing(case, start, tz, name, email, field):
    et = f.event_type(ana(), duration_minutes=30)
    with pytest.raises(InvalidInput) as err:
        book(et, start, tz=tz, name=name, email=email)
    assert err.value.field == field and err.value.status == 400, case
    assert nothing_written()


@pytest.mark.parametrize(
    "case, start, words",
    [
        ("off the 30-minute increment", TUE_10 + timedelta(minutes=10), "increment"),
        ("in the past", NOW - timedelta(days=1), "past"),
        ("beyond the 7-day rolling window", NOW + timedelta(days=8, hours=2), "booking window"),
        ("on a Sunday", datetime(2026, 3, 8, 10, tzinfo=UTC), "outside the host's hours"),
        ("inside the 2-hour notice", NOW + timedelta(hours=1), "minimum notice"),
        ("overlapping external busy time", datetime(2026, 3, 3, 14, tzinfo=UTC), "busy"),
    ],
)
def test_a_start_the_engine_does_not_offer_is_refused_with_the_reason(case, start, words):
    host = ana()
    BusyBlock.objects.create(
        organization=host.organization,
        membership=host,
        start=datetime(2026, 3, 3, 14, tzinfo=UTC),
        end=datetime(2026, 3, 3, 15, tzinfo=UTC),
    )
    et = f.event_type(host, duration_minutes=30, window_kind="rolling", window_days=7, min_notice_minutes=120)
    with pytest.raises(SlotUnavailable) as err:
        book(et, start)
    assert words in err.value.message, (case, err.value.message)
    assert err.value.status == 409
    assert nothing_written()


def test_answers_are_checked_against_the_questions():
    et = f.event_type(
        ana(),
        questions=[
            {"key": "ticket", "label": "Ticket", "type": "text", "required": True},
            {"key": "topic", "label": "Topic", "type": "single_choice", "options": ["Install", "Upgrade"]},
            {"key": "notes", "label": "Notes", "type": "long_text"},
        ],
    )
    for answers, field in [
        ({}, "answers.ticket"),
        ({"ticket": "1", "topic": "Gardening"}, "answers.topic"),
        ({"ticket": "1", "notes": "x" * 5001}, "answers.notes"),
        ({"ticket": "1", "shoe_size": "9"}, "answers.shoe_size"),
    ]:
        with pytest.raises(InvalidInput) as err:
            book(et, TUE_10, answers=answers)
        assert err.value.field == field
    assert nothing_written()
    inv = book(et, TUE_10, answers={"ticket": "4711", "topic": "Upgrade"})
    assert inv.answers == [
        {"key": "ticket", "question": "Ticket", "answer": "4711"},
        {"key": "topic", "question": "Topic", "answer": "Upgrade"},
    ]


def test_buffers_keep_meetings_apart_and_free_after_cancel():
    et = f.event_type(
        ana(), duration_minutes=30, buffer_before_minutes=10, buffer_after_minutes=10, increment_minutes=10
    )
    first = book(et, TUE_10)
    with pytest.raises(SlotUnavailable, match="buffer"):
        book(et, TUE_10 + timedelta(minutes=40), email="b@example.com")  # its before-buffer meets ours
    assert book(et, TUE_10 + timedelta(minutes=50), email="c@example.com")
    booking_cancel(booking=first.booking, now=NOW, reason="sick")
    assert BookingHost.objects.filter(booking=first.booking, active=True).count() == 0
    assert book(et, TUE_10, email="d@example.com").booking.start == TUE_10


def test_every_invitee_becomes_a_contact_owned_by_the_host_of_their_latest_booking():
    org = f.org()
    a, b = f.host(org, "a"), f.host(org, "b")
    first = book(f.event_type(a), TUE_10, email="Zoe@Example.com")
    book(f.event_type(b), TUE_10 + timedelta(days=1), email="zoe@example.com", name="Zoe Quinn")
    contact = Contact.objects.get(organization=org, email="zoe@example.com")
    assert contact.owner == b and contact.bookings_count == 2 and contact.name == "Zoe Quinn"
    assert first.email == "zoe@example.com"


def test_reschedule_moves_the_invitee_and_links_both_bookings():
    et = f.event_type(ana(), duration_minutes=30, questions=[{"key": "topic", "label": "Topic", "type": "text"}])
    inv = book(et, TUE_10, answers={"topic": "billing"})
    new = booking_reschedule(invitee=inv, new_start=TUE_10 + timedelta(hours=3), now=NOW, reason="clash")
    old = Booking.objects.get(pk=inv.booking_id)
    assert old.status == "rescheduled" and old.rescheduled_to == new.booking
    assert new.booking.rescheduled_from == old
    assert new.answers == inv.answers and new.email == inv.email
    # The old time is free again; the new one is taken.
    assert book(et, TUE_10, email="x@example.com")
    with pytest.raises(SlotUnavailable):
        book(et, TUE_10 + timedelta(hours=3), email="y@example.com")


def test_a_reschedule_onto_part_of_its_own_time_moves_it():
    et = f.event_type(ana(), duration_minutes=30, increment_minutes=15)
    inv = book(et, TUE_10)
    new = booking_reschedule(invitee=inv, new_start=TUE_10 + timedelta(minutes=15), now=NOW)
    assert new.booking.start == TUE_10 + timedelta(minutes=15) and new.booking.host == inv.booking.host
    assert list(BookingHost.objects.filter(active=True).values_list("booking_id", flat=True)) == [new.booking_id]


def test_a_reschedule_to_an_unavailable_time_changes_nothing():
    et = f.event_type(ana(), duration_minutes=30)
    inv = book(et, TUE_10)
    with pytest.raises(SlotUnavailable):
        booking_reschedule(invitee=inv, new_start=datetime(2026, 3, 8, 10, tzinfo=UTC), now=NOW)
    inv.refresh_from_db()
    assert inv.status == "active" and inv.booking.status == "confirmed"
    assert Booking.objects.count() == 1 and BookingHost.objects.filter(active=True).count() == 1


def test_group_invitee_leaving_frees_a_seat_and_the_last_one_cancels():
    et = f.event_type(ana(), kind="group", seats=2, duration_minutes=60, increment_minutes=60)
    one = book(et, TUE_10, email="one@example.com")
    two = book(et, TUE_10, email="two@example.com")
    assert one.booking_id == two.booking_id
    with pytest.raises(SlotUnavailable, match="seats"):
        book(et, TUE_10, email="three@example.com")
    invitee_cancel(invitee=two, now=NOW)
    assert book(et, TUE_10, email="three@example.com").booking_id == one.booking_id
    invitee_cancel(invitee=one, now=NOW)
    assert Booking.objects.get(pk=one.booking_id).status == "confirmed"  # "three" is still coming


def test_round_robin_assigns_by_priority_and_honours_a_picked_host():
    org = f.org()
    a, b = f.host(org, "a"), f.host(org, "b")
    team = f.team(org, [a, b])
    et = f.event_type(team=team, kind="round_robin", duration_minutes=30)
    f.pool(et, [a, b], priorities={"a": 1, "b": 3})
    assert book(et, TUE_10).booking.host == b
    assert book(et, TUE_10, email="x@example.com").booking.host == a  # b is now busy
    assert book(et, TUE_10 + timedelta(hours=1), email="y@example.com", host=a).booking.host == a


def test_collective_books_every_host_and_needs_all_free():
    org = f.org()
    a, b = f.host(org, "a"), f.host(org, "b", tz="America/New_York")
    team = f.team(org, [a, b])
    et = f.event_type(team=team, kind="collective", duration_minutes=30)
    # 09:00-17:00 UTC and 09:00-17:00 New York (14:00-22:00 UTC) overlap 14:00-17:00 UTC.
    with pytest.raises(SlotUnavailable, match="outside the host's hours"):
        book(et, TUE_10)
    inv = book(et, datetime(2026, 3, 3, 14, tzinfo=UTC))
    assert set(inv.booking.host_blocks.values_list("membership__slug", flat=True)) == {"a", "b"}


def test_a_daily_limit_counts_meetings_not_seats():
    et = f.event_type(ana(), kind="group", seats=3, duration_minutes=60, increment_minutes=60, daily_limit=1)
    first = book(et, TUE_10, email="one@example.com")
    assert book(et, TUE_10, email="two@example.com").booking_id == first.booking_id  # joins: same meeting
    with pytest.raises(SlotUnavailable, match="daily limit"):
        book(et, TUE_10 + timedelta(hours=2), email="three@example.com")  # a second meeting that day
