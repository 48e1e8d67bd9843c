"""Issue 16 through the API: a request's pending state beside Calendly's shapes, approving and declining
it, and guests on POST /invitees (Calendly's event_guests on the event)."""

from datetime import timedelta

from slotwise.bookings.models import Booking

from .conftest import book
from .test_scheduled_events import _book_body, at


def test_a_pending_request_stays_active_in_calendlys_enum_with_the_approval_beside_it(world, now):
    world.et.requires_confirmation = True
    world.et.save()
    r = world.api.post("/invitees", _book_body(world))
    assert r.status_code == 201, r.content
    uid = Booking.objects.get(event_type=world.et).uid
    event = world.api.get(f"/scheduled_events/{uid}").json()["resource"]
    assert event["status"] == "active"
    assert event["slotwise_approval"]["status"] == "pending"
    assert event["slotwise_approval"]["expires_at"] == "2026-03-03T08:00:00.000000Z"
    # the time is held: a second request for it is refused
    again = world.api.post(
        "/invitees", _book_body(world, invitee={"name": "B", "email": "b@example.com", "timezone": "UTC"})
    )
    assert again.status_code == 409


def test_approve_and_decline_through_the_api(world, now):
    world.et.requires_confirmation = True
    world.et.save()
    first = book(world.et, at(3, 10), now=now).booking
    second = book(world.et, at(3, 11), email="b@example.com", now=now).booking
    ok = world.api.post(f"/scheduled_events/{first.uid}/approval")
    assert ok.status_code == 200, ok.content
    assert ok.json()["resource"]["slotwise_approval"]["status"] == "approved"
    twice = world.api.post(f"/scheduled_events/{first.uid}/approval")
    assert twice.status_code == 409 and "already approved" in twice.json()["message"]
    no = world.api.post(f"/scheduled_events/{second.uid}/decline", {"reason": "Away"})
    assert no.status_code == 200
    resource = no.json()["resource"]
    assert resource["status"] == "canceled" and resource["slotwise_approval"]["status"] == "declined"
    assert resource["cancellation"]["reason"] == "Away"
    assert world.read.post(f"/scheduled_events/{first.uid}/approval").status_code == 403


def test_approving_an_expired_request_through_the_api_is_a_409_in_words(world, now, monkeypatch):
    import slotwise.api.base

    world.et.requires_confirmation = True
    world.et.save()
    booking = book(world.et, at(3, 10), now=now).booking
    monkeypatch.setattr(slotwise.api.base, "utc_now", lambda: now + timedelta(hours=25))
    r = world.api.post(f"/scheduled_events/{booking.uid}/approval")
    assert r.status_code == 409 and "expired before it was approved" in r.json()["message"]


def test_guests_on_post_invitees_show_as_event_guests(world):
    world.et.max_guests = 2
    world.et.save()
    r = world.api.post("/invitees", _book_body(world, event_guests=["Ann@Example.com", "ben@example.com"]))
    assert r.status_code == 201, r.content
    event = world.api.get(f"/scheduled_events/{Booking.objects.get(event_type=world.et).uid}").json()["resource"]
    assert [g["email"] for g in event["event_guests"]] == ["ann@example.com", "ben@example.com"]
    assert set(event["event_guests"][0]) >= {"email", "created_at", "updated_at"}


def test_too_many_guests_or_guests_where_none_are_taken_is_a_400_naming_event_guests(world):
    r = world.api.post("/invitees", _book_body(world, event_guests=["ann@example.com"]))
    assert r.status_code == 400 and "does not take guests" in r.json()["message"]
    assert r.json()["details"][0]["parameter"] == "event_guests"
    world.et.max_guests = 1
    world.et.save()
    r = world.api.post("/invitees", _book_body(world, event_guests=["ann@example.com", "ben@example.com"]))
    assert r.status_code == 400 and "at most 1 guest" in r.json()["message"]
    r = world.api.post("/invitees", _book_body(world, event_guests=["not-an-address"]))
    assert r.status_code == 400 and "not an email address" in r.json()["message"]
    assert not Booking.objects.filter(event_type=world.et).exists()
