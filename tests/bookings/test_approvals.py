"""Issue 16, "requires confirmation": a request holds its time until the host approves, declines, or the
hold runs out; the invitee hears either way, and no invitation is sent before approval."""

from datetime import UTC, datetime, timedelta

import pytest

from slotwise.bookings import approvals
from slotwise.bookings.availability import offered_times
from slotwise.bookings.models import Booking, BookingHost
from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create
from slotwise.core.errors import Conflict, NotFound, SlotUnavailable
from slotwise.jobs.services import run_due
from slotwise.representations import event_dict
from tests import factories as f
from tests.notifications.smtp import calendar_part

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday
TUE_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def event_type():
    host = f.host(f.org("acme"), "ana", email="ana@acme.example")
    return f.event_type(host, name="Intro call", duration_minutes=30, requires_confirmation=True)


def request(et, start=TUE_10, *, email="zoe@example.com", now=NOW):
    return booking_create(
        event_type=et, start=start, now=now, invitee=InviteeInput(name="Zoe Q", email=email, timezone="Europe/Berlin")
    ).booking


def offered(et, now=NOW):
    return {
        t.start
        for t in offered_times(
            event_type=et, start=TUE_10 - timedelta(hours=1), end=TUE_10 + timedelta(hours=1), now=now
        )
    }


def test_a_request_holds_its_time_so_nobody_else_can_book_it(event_type):
    booking = request(event_type)
    assert booking.status == Booking.Status.PENDING and booking.approval == "pending"
    assert booking.approval_expires_at == NOW + timedelta(hours=24)
    assert TUE_10 not in offered(event_type)
    with pytest.raises(SlotUnavailable):
        request(event_type, email="other@example.com")
    assert BookingHost.objects.filter(active=True).count() == 1


def test_the_hold_lasts_as_long_as_the_event_type_says(event_type):
    event_type.confirmation_hold_hours = 3
    event_type.save()
    assert request(event_type).approval_expires_at == NOW + timedelta(hours=3)


def test_the_api_shape_keeps_calendlys_status_and_adds_the_approval_beside_it(event_type):
    shape = event_dict(request(event_type))
    assert shape["status"] == "active"
    assert shape["slotwise_approval"] == {
        "status": "pending",
        "expires_at": "2026-03-03T08:00:00.000000Z",
        "decided_at": None,
    }


def test_approving_confirms_and_only_then_sends_the_invitation(event_type, smtp):
    booking = request(event_type)
    run_due(NOW)
    (waiting,) = smtp.to("zoe@example.com")
    assert calendar_part(waiting) is None and "Waiting for" in waiting["Subject"]
    (to_host,) = smtp.to("ana@acme.example")
    body = to_host.get_body(("plain",)).get_content()
    assert "/approval/" in body and "Approve:" in body and "Decline:" in body

    approvals.booking_approve(booking=booking, now=NOW + timedelta(hours=1))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED and booking.approval == "approved"
    run_due(NOW + timedelta(hours=1))
    invitation = smtp.to("zoe@example.com")[-1]
    assert calendar_part(invitation) is not None
    # The expiry job was withdrawn: the approved booking keeps its time a day later.
    run_due(NOW + timedelta(hours=30))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert TUE_10 not in offered(event_type, now=NOW + timedelta(hours=2))


def test_declining_frees_the_time_and_tells_the_invitee_why(event_type, smtp):
    booking = request(event_type)
    approvals.booking_decline(booking=booking, now=NOW, reason="I am away that week")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELED and booking.approval == "declined"
    assert TUE_10 in offered(event_type)
    run_due(NOW)
    told = smtp.to("zoe@example.com")[-1]
    assert calendar_part(told) is None
    assert "I am away that week" in told.get_body(("plain",)).get_content()
    assert event_dict(booking)["status"] == "canceled"


def test_an_expired_hold_is_released_by_its_job_and_the_invitee_is_told(event_type, smtp):
    booking = request(event_type)
    run_due(NOW + timedelta(hours=23, minutes=59))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PENDING
    run_due(NOW + timedelta(hours=24))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELED and booking.approval == "expired"
    assert TUE_10 in offered(event_type, now=NOW + timedelta(hours=24))
    assert "Not confirmed" in smtp.to("zoe@example.com")[-1]["Subject"]


def test_approving_an_expired_hold_fails_cleanly_with_a_message(event_type):
    booking = request(event_type)
    # The expiry job has not run yet (a worker was down): approval still refuses, and frees the time.
    with pytest.raises(Conflict, match="expired before it was approved"):
        approvals.booking_approve(booking=booking, now=NOW + timedelta(hours=25))
    booking.refresh_from_db()
    assert booking.approval == "expired" and not BookingHost.objects.filter(active=True).exists()
    with pytest.raises(Conflict, match="expired"):
        approvals.booking_approve(booking=booking, now=NOW + timedelta(hours=26))


def test_a_decided_request_cannot_be_decided_again(event_type):
    booking = request(event_type)
    approvals.booking_decline(booking=booking, now=NOW)
    with pytest.raises(Conflict, match="already declined"):
        approvals.booking_approve(booking=booking, now=NOW)


def test_the_invitee_can_withdraw_a_request_and_only_the_host_hears_of_it(event_type, smtp):
    booking = request(event_type)
    run_due(NOW)
    booking_cancel(booking=booking, now=NOW, canceled_by="Zoe Q", canceler_type="invitee")
    booking.refresh_from_db()
    assert booking.approval == "withdrawn" and TUE_10 in offered(event_type)
    run_due(NOW)
    assert len(smtp.to("zoe@example.com")) == 1  # the "waiting" email; no CANCEL for a meeting never sent
    assert len(smtp.to("ana@acme.example")) == 2
    with pytest.raises(Conflict, match="canceled"):
        approvals.booking_approve(booking=booking, now=NOW)


def test_a_host_canceling_a_request_through_the_cancel_door_declines_it(event_type):
    booking = request(event_type)
    booking_cancel(booking=booking, now=NOW, canceled_by="Ana", canceler_type="host")
    booking.refresh_from_db()
    assert booking.approval == "declined"


def test_signed_links_name_the_request_and_action_and_refuse_tampering(event_type):
    booking = request(event_type)
    assert approvals.from_token(approvals.token(booking, "decline")) == (booking, "decline")
    forged = approvals.token(booking, "decline").replace("decline", "approve")
    with pytest.raises(NotFound, match="not valid"):
        approvals.from_token(forged)


def test_event_types_without_confirmation_book_directly():
    host = f.host(f.org("acme"), "ana")
    booking = request(f.event_type(host, duration_minutes=30))
    assert booking.status == Booking.Status.CONFIRMED and booking.approval == ""
    assert event_dict(booking)["slotwise_approval"] is None
