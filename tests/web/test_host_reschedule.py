"""A host moves a booking from the dashboard: the times the engine offers them, the invitee's service with
its rules and guard, the invitee told with the updated invitation, and the history says who moved it."""

from datetime import UTC, datetime

import pytest

from slotwise.bookings.models import Booking
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.jobs.models import Job
from slotwise.scheduling.models import EventType, PoolHost
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch, frozen):
    monkeypatch.setattr("slotwise.web.host_reschedule.utc_now", lambda: frozen)
    return frozen


def _book(et, start, now, email="bo@example.com"):
    return booking_create(
        event_type=et,
        start=start,
        now=now,
        invitee=InviteeInput(name="Bo Li", email=email, timezone="America/New_York"),
    )


def test_a_host_moves_a_meeting_to_a_time_they_offer_and_the_invitee_is_told(client, acme, clock):
    inv = _book(acme["intro"], datetime(2026, 3, 3, 9, 0, tzinfo=UTC), clock)
    old = inv.booking
    client.force_login(acme["ana"].user)
    page = client.get(f"/dashboard/bookings/{old.uid}/reschedule/").content.decode()
    assert 'value="2026-03-04T13:00:00Z"' in page  # Wed 14:00 in Berlin, offered
    assert 'value="2026-03-03T09:00:00Z"' not in page  # its own current time is not "free"
    resp = client.post(
        f"/dashboard/bookings/{old.uid}/reschedule/", {"start": "2026-03-04T13:00:00Z", "reason": "Sorry, a clash"}
    )
    new = Booking.objects.get(rescheduled_from=old)
    assert (resp.status_code, resp["Location"]) == (302, f"/dashboard/bookings/{new.uid}/")
    old.refresh_from_db()
    assert (old.status, old.canceler_type, old.canceled_by, old.cancel_reason) == (
        "rescheduled",
        "host",
        str(acme["ana"].user),
        "Sorry, a clash",
    )
    assert (new.start, new.host, new.ical_uid, new.ical_sequence) == (
        datetime(2026, 3, 4, 13, 0, tzinfo=UTC),
        acme["ana"],
        old.ical_uid,
        old.ical_sequence + 1,
    )
    assert Job.objects.filter(kind="notify.invitee", payload__what="rescheduled").exists()
    detail = client.get(resp["Location"]).content.decode()
    assert "Rescheduled from" in detail
    assert f"Moved here from an earlier time by {acme['ana'].user} (host): Sorry, a clash" in detail


def test_a_time_the_host_does_not_offer_is_refused_in_words_and_nothing_moves(client, acme, clock):
    inv = _book(acme["intro"], datetime(2026, 3, 3, 9, 0, tzinfo=UTC), clock)
    client.force_login(acme["ana"].user)
    resp = client.post(f"/dashboard/bookings/{inv.booking.uid}/reschedule/", {"start": "2026-03-07T10:00:00Z"})
    assert resp.status_code == 400 and "cannot be booked" in resp.content.decode()
    inv.booking.refresh_from_db()
    assert inv.booking.status == "confirmed" and not Booking.objects.filter(rescheduled_from=inv.booking).exists()


def test_a_round_robin_meeting_stays_with_the_host_who_moves_it(client, acme, clock):
    org, ana = acme["org"], acme["ana"]
    ben = factories.host(org, "ben", tz="Europe/Berlin")
    team = factories.team(org, [ana, ben], "support")
    rr = factories.event_type(team=team, slug="rr", kind=EventType.Kind.ROUND_ROBIN, invitee_picks_host=False)
    for m in (ana, ben):
        PoolHost.objects.create(event_type=rr, membership=m)
    inv = booking_create(
        event_type=rr,
        start=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        now=clock,
        host=None,
        invitee=InviteeInput(name="Bo Li", email="bo@example.com", timezone="UTC"),
    )
    owner = inv.booking.host
    client.force_login(owner.user)
    client.post(f"/dashboard/bookings/{inv.booking.uid}/reschedule/", {"start": "2026-03-04T13:00:00Z"})
    assert Booking.objects.get(rescheduled_from=inv.booking).host == owner


def test_past_and_other_hosts_meetings_can_not_be_moved(client, acme, clock):
    inv = _book(acme["intro"], datetime(2026, 3, 3, 9, 0, tzinfo=UTC), clock)
    colleague = factories.host(acme["org"], "carl")
    client.force_login(colleague.user)
    assert client.get(f"/dashboard/bookings/{inv.booking.uid}/reschedule/").status_code == 404
    Booking.objects.filter(pk=inv.booking.pk).update(status="canceled")
    client.force_login(acme["ana"].user)
    resp = client.get(f"/dashboard/bookings/{inv.booking.uid}/reschedule/")
    assert resp.status_code == 400 and "Only an upcoming, confirmed meeting can be moved" in resp.content.decode()


def test_the_history_lists_emails_sent_and_webhooks_delivered(client, acme, clock):
    from slotwise.notifications.models import SentEmail

    inv = _book(acme["intro"], datetime(2026, 3, 3, 9, 0, tzinfo=UTC), clock)
    SentEmail.objects.create(
        organization=acme["org"],
        booking=inv.booking,
        invitee=inv,
        kind="reminder",
        to="bo@example.com",
        subject="Tomorrow",
        sent_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    )
    client.force_login(acme["ana"].user)
    html = client.get(f"/dashboard/bookings/{inv.booking.uid}/").content.decode()
    assert "Reminder email sent to bo@example.com" in html
