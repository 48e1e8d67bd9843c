"""The bookings side of an import: appointments from another scheduler through the same database guard,
never sent our own emails, refused to every other door, and the contact's assigned user (the host of their
latest live appointment) across native and imported bookings interleaved."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from slotwise.bookings.imports import (
    ImportOverlap,
    appointment_cancel,
    appointment_delete,
    appointment_import,
    appointment_invitee_add,
    appointment_invitee_cancel,
    appointment_update,
)
from slotwise.bookings.models import Booking, BookingHost, Invitee
from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create, booking_reschedule, invitee_cancel
from slotwise.contacts.models import Contact
from slotwise.core.errors import Conflict, InvalidInput
from slotwise.core.events import subscribed
from slotwise.jobs.models import Job
from slotwise.scheduling.services import external_event_type
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TUE_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def guest(email="zoe@example.com", name="Zoe Quinn", **kw):
    return {
        "name": name,
        "email": email,
        "first_name": "",
        "last_name": "",
        "timezone": "Europe/Berlin",
        "phone": "",
        "answers": [],
        **kw,
    }


def imported(host, start=TUE_10, *, minutes=30, guests=None, uri="https://api.calendly.com/event_types/ET1", **kw):
    et = external_event_type(owner=host, source="calendly", uri=uri, name="Intro call", duration_minutes=minutes)
    return appointment_import(
        event_type=et,
        host=host,
        start=start,
        end=start + timedelta(minutes=minutes),
        timezone="Europe/Berlin",
        invitees=guests if guests is not None else [guest()],
        location="https://zoom.example/j/1",
        now=NOW,
        **kw,
    )


def book(et, start, email="zoe@example.com", name="Zoe Quinn"):
    return booking_create(
        event_type=et, start=start, now=NOW, invitee=InviteeInput(name=name, email=email, timezone="UTC")
    )


@pytest.fixture
def org():
    return f.org()


@pytest.fixture
def ana(org):
    return f.host(org, "ana")


def test_an_imported_event_becomes_an_appointment_holding_its_owners_time(ana):
    b = imported(ana)
    assert b.source == Booking.Source.IMPORT and b.status == Booking.Status.CONFIRMED
    assert (b.start, b.end, b.duration_minutes, b.host) == (TUE_10, TUE_10 + timedelta(minutes=30), 30, ana)
    assert list(BookingHost.objects.filter(booking=b, active=True).values_list("block_start", "block_end")) == [
        (TUE_10, TUE_10 + timedelta(minutes=30))
    ]
    # It blocks the owner's time like any booking: a native booking over it is refused.
    with pytest.raises(Exception, match="cannot be booked|taken"):
        book(f.event_type(ana, duration_minutes=30), TUE_10)


def test_the_guard_refuses_an_overlapping_import_and_names_what_it_overlaps(ana):
    native = book(f.event_type(ana, name="Demo", duration_minutes=60), TUE_10).booking
    with pytest.raises(ImportOverlap) as caught:
        imported(ana, TUE_10 + timedelta(minutes=30))
    assert caught.value.booking == native
    assert f"overlaps Demo at 2026-03-03 10:00 UTC (booking {native.uid})" == caught.value.message
    assert Booking.objects.filter(source=Booking.Source.IMPORT).count() == 0
    assert Invitee.objects.count() == 1 and Contact.objects.count() == 1  # nothing half-written


def test_an_import_that_touches_another_booking_is_not_an_overlap(ana):
    book(f.event_type(ana, duration_minutes=60), TUE_10)
    assert imported(ana, TUE_10 + HOUR).start == TUE_10 + HOUR


def test_imports_are_never_sent_our_invitations_or_reminders(ana, org):
    from slotwise.notifications.models import Reminder

    Reminder.objects.create(organization=org, offset_minutes=60)
    b = imported(ana)
    appointment_cancel(booking=b, reason="", canceled_by="Zoe", now=NOW)
    assert not Job.objects.filter(kind__startswith="notify.").exists()


def test_imports_publish_the_same_events_as_any_booking_for_webhooks_and_rules(ana):
    seen = []

    def spy(*, event, **data):
        seen.append(event)

    with subscribed("booking.created", spy), subscribed("booking.canceled", spy):
        b = imported(ana, guests=[guest(), guest("kai@example.com", "Kai")])
        appointment_cancel(booking=b, reason="", canceled_by="Zoe", now=NOW)
    assert seen == ["booking.created", "booking.created", "booking.canceled"]


@pytest.mark.parametrize("change", ["cancel", "invitee_cancel", "reschedule"])
def test_other_doors_refuse_to_change_an_imported_appointment(ana, change):
    b = imported(ana)
    invitee = b.invitees.get()
    with pytest.raises(Conflict, match="^This appointment comes from Calendly: change it there$"):
        if change == "cancel":
            booking_cancel(booking=b, now=NOW)
        elif change == "invitee_cancel":
            invitee_cancel(invitee=invitee, now=NOW)
        else:
            booking_reschedule(invitee=invitee, new_start=TUE_10 + HOUR, now=NOW)
    assert Booking.objects.get(pk=b.pk).status == Booking.Status.CONFIRMED


def test_the_dashboard_says_to_change_it_in_calendly_and_offers_no_cancel(ana):
    b = imported(ana)
    client = Client()
    client.force_login(ana.user)
    page = client.get(f"/dashboard/bookings/{b.uid}/").content.decode()
    assert "This appointment comes from Calendly: change it there" in page
    assert "Cancel meeting" not in page
    client.post(f"/dashboard/bookings/{b.uid}/cancel/", {"reason": "x"})
    moving = client.get(f"/dashboard/bookings/{b.uid}/reschedule/").content.decode()
    assert "This appointment comes from Calendly: change it there" in moving
    client.post(f"/dashboard/bookings/{b.uid}/reschedule/", {"start": "2026-03-03T11:00:00Z"})
    assert Booking.objects.get(pk=b.pk).status == Booking.Status.CONFIRMED


def test_phone_and_answers_are_kept_on_the_appointment_and_the_contact(ana):
    b = imported(
        ana, guests=[guest(phone="+49 30 1234567", answers=[{"question": "What is it about?", "answer": "Pricing"}])]
    )
    assert b.invitees.get().answers == [
        {"key": "q1", "question": "What is it about?", "answer": "Pricing"},
        {"key": "phone", "question": "Phone number", "answer": "+49 30 1234567"},
    ]
    contact = Contact.objects.get(email="zoe@example.com")
    assert contact.phone == "+49 30 1234567"
    assert contact.answers[0] == {"key": "q1", "question": "What is it about?", "answer": "Pricing"}


def test_a_guest_without_an_email_is_refused_and_nothing_is_written(ana):
    with pytest.raises(InvalidInput, match="without an email"):
        imported(ana, guests=[guest(email="")])
    assert Booking.objects.count() == 0


def test_the_external_event_type_is_never_bookable_and_hidden(ana, org):
    b = imported(ana)
    et = b.event_type
    assert (et.active, et.secret, et.external_source) == (False, True, "calendly")
    assert external_event_type(owner=ana, source="calendly", uri=et.external_uri, name="x", duration_minutes=30) == et
    client = Client()
    client.force_login(ana.user)
    assert "Intro call" not in client.get("/dashboard/event-types/").content.decode()
    assert client.get(f"/{org.slug}/ana/{et.slug}/").status_code == 404


def test_a_reschedule_whose_new_invitee_arrives_first_moves_the_appointment(ana):
    old = imported(ana)
    new = imported(ana, TUE_10 + timedelta(minutes=15), rescheduled_from=old)  # overlaps the old time: freed first
    old.refresh_from_db()
    assert old.status == Booking.Status.RESCHEDULED and new.rescheduled_from == old
    assert new.ical_uid == old.ical_uid and new.ical_sequence == old.ical_sequence + 1
    assert appointment_cancel(booking=old, reason="", canceled_by="", now=NOW, rescheduled=True).status == "rescheduled"


def test_a_reschedule_whose_cancel_arrives_first_links_the_new_one(ana):
    old = imported(ana)
    appointment_cancel(booking=old, reason="", canceled_by="Zoe", now=NOW, rescheduled=True)
    new = imported(ana, TUE_10 + HOUR, rescheduled_from=old)
    old.refresh_from_db()
    assert old.status == Booking.Status.RESCHEDULED and new.rescheduled_from == old
    assert new.status == Booking.Status.CONFIRMED


def test_a_second_cancel_changes_nothing(ana):
    b = imported(ana)
    appointment_cancel(booking=b, reason="No time", canceled_by="Zoe", now=NOW)
    again = appointment_cancel(booking=b, reason="other", canceled_by="Kai", now=NOW + HOUR)
    assert (again.status, again.cancel_reason) == (Booking.Status.CANCELED, "No time")
    assert not BookingHost.objects.filter(booking=b, active=True).exists()


def test_update_moves_the_time_through_the_guard(ana):
    b = imported(ana)
    book(f.event_type(ana, duration_minutes=30), TUE_10 + 2 * HOUR)
    appointment_update(booking=b, start=TUE_10 + HOUR, end=TUE_10 + HOUR + timedelta(minutes=30), now=NOW)
    assert BookingHost.objects.get(booking=b).block_start == TUE_10 + HOUR
    with pytest.raises(ImportOverlap):
        appointment_update(booking=b, start=TUE_10 + 2 * HOUR, end=TUE_10 + 3 * HOUR, now=NOW)
    assert Booking.objects.get(pk=b.pk).start == TUE_10 + HOUR


def test_group_guests_join_and_leave_and_the_last_one_out_cancels(ana):
    b = imported(ana)
    kai = appointment_invitee_add(booking=b, guest=guest("kai@example.com", "Kai"), now=NOW)
    appointment_invitee_cancel(invitee=kai, reason="", now=NOW)
    assert Booking.objects.get(pk=b.pk).status == Booking.Status.CONFIRMED
    appointment_invitee_cancel(invitee=b.invitees.get(email="zoe@example.com"), reason="", now=NOW)
    assert Booking.objects.get(pk=b.pk).status == Booking.Status.CANCELED


def test_delete_removes_the_appointment_and_keeps_the_contact_with_its_history_updated(org, ana):
    bo = f.host(org, "bo")
    native = book(f.event_type(bo), TUE_10 - timedelta(days=1)).booking
    b = imported(ana)
    assert Contact.objects.get(email="zoe@example.com").owner == ana
    assert appointment_delete(booking=b, now=NOW) == ["zoe@example.com"]
    assert not Booking.objects.filter(pk=b.pk).exists() and not Invitee.objects.filter(booking_id=b.pk).exists()
    contact = Contact.objects.get(email="zoe@example.com")
    assert (contact.owner, contact.bookings_count) == (bo, 1)
    with pytest.raises(InvalidInput):
        appointment_delete(booking=native, now=NOW)


# --- the contact's assigned user: the host of their latest live appointment -------------------------------


def owner():
    return Contact.objects.get(email="zoe@example.com").owner


def test_assigned_user_is_the_host_of_the_latest_start_not_the_latest_booked(org, ana):
    bo = f.host(org, "bo")
    imported(ana, TUE_10 + timedelta(days=2))
    book(f.event_type(bo), TUE_10)  # booked later, but meets earlier
    assert owner() == ana


def test_assigned_user_follows_cancels_of_native_and_imported_bookings_interleaved(org, ana):
    bo, cy = f.host(org, "bo"), f.host(org, "cy")
    native_bo = book(f.event_type(bo), TUE_10).booking
    imp_ana = imported(ana, TUE_10 + timedelta(days=1))
    native_cy = book(f.event_type(cy), TUE_10 + timedelta(days=2)).booking
    assert owner() == cy
    booking_cancel(booking=native_cy, now=NOW)
    assert owner() == ana
    appointment_cancel(booking=imp_ana, reason="", canceled_by="Zoe", now=NOW)
    assert owner() == bo
    booking_cancel(booking=native_bo, now=NOW)
    assert owner() == cy  # nothing live: the latest start of any, canceled included


def test_assigned_user_follows_a_reschedule_to_an_earlier_time(org, ana):
    bo = f.host(org, "bo")
    imported(ana, TUE_10 + timedelta(days=1))
    late = book(f.event_type(bo, duration_minutes=30), TUE_10 + timedelta(days=2))
    assert owner() == bo
    booking_reschedule(invitee=late, new_start=TUE_10, now=NOW)
    assert owner() == ana


def test_assigned_user_follows_an_imported_reschedule(org, ana):
    bo = f.host(org, "bo")
    old = imported(ana, TUE_10 + timedelta(days=3))
    book(f.event_type(bo), TUE_10 + timedelta(days=1))
    assert owner() == ana
    imported(ana, TUE_10, rescheduled_from=old)
    assert owner() == bo


def test_the_contact_page_shows_phone_answers_and_assigned_user(ana):
    imported(ana, guests=[guest(phone="+49 30 1234567", answers=[{"question": "Topic?", "answer": "Pricing"}])])
    contact = Contact.objects.get(email="zoe@example.com")
    client = Client()
    client.force_login(ana.user)
    page = client.get(f"/dashboard/contacts/{contact.pk}/").content.decode()
    assert "+49 30 1234567" in page and "Pricing" in page and "Assigned to Ana" in page and "from Calendly" in page


def test_our_cancel_and_reschedule_links_of_an_imported_appointment_say_to_use_calendly(ana):
    invitee = imported(ana).invitees.get()
    client = Client()
    for url in (f"/cancel/{invitee.cancel_token}/", f"/reschedule/{invitee.reschedule_token}/"):
        resp = client.get(url)
        assert resp.status_code == 409 and "change it there" in resp.content.decode()
    assert client.post(f"/cancel/{invitee.cancel_token}/", {"reason": "x"}).status_code == 409
    assert Booking.objects.get(pk=invitee.booking_id).status == Booking.Status.CONFIRMED
