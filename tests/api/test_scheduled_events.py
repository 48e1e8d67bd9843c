from datetime import UTC, datetime, timedelta

from slotwise.bookings.models import Booking, Invitee
from slotwise.bookings.services import booking_reschedule
from tests.api.conftest import BASE, book

EVENT_KEYS = {
    "uri",
    "name",
    "status",
    "start_time",
    "end_time",
    "event_type",
    "location",
    "invitees_counter",
    "created_at",
    "updated_at",
    "event_memberships",
    "event_guests",
    "calendar_event",
}
INVITEE_KEYS = {
    "uri",
    "email",
    "first_name",
    "last_name",
    "name",
    "status",
    "questions_and_answers",
    "timezone",
    "event",
    "created_at",
    "updated_at",
    "tracking",
    "text_reminder_number",
    "rescheduled",
    "old_invitee",
    "new_invitee",
    "cancel_url",
    "reschedule_url",
    "routing_form_submission",
    "payment",
    "no_show",
    "reconfirmation",
}


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_scheduled_event_and_invitee_shapes(world):
    invitee = book(world.et, at(3, 9), email="ada@example.com", name="Ada Lovelace")
    uid = invitee.booking.uid
    r = world.api.get(f"/scheduled_events/{uid}")
    assert r.status_code == 200
    ev = r.json()["resource"]
    assert EVENT_KEYS <= set(ev)
    assert ev["uri"] == f"http://127.0.0.1:8000/api/v2/scheduled_events/{uid}"
    assert (ev["status"], ev["start_time"], ev["end_time"]) == (
        "active",
        "2026-03-03T09:00:00.000000Z",
        "2026-03-03T09:30:00.000000Z",
    )
    assert ev["invitees_counter"] == {"total": 1, "active": 1, "limit": 1}
    assert ev["event_memberships"] == [
        {
            "user": f"http://127.0.0.1:8000/api/v2/users/{world.admin.user.uuid}",
            "user_email": "alice@acme.test",
            "user_name": "Alice",
        }
    ]
    assert ev["event_type"].endswith(str(world.et.uuid))
    assert ev["cancellation"] is None and ev["calendar_event"] is None

    r = world.api.get(f"/scheduled_events/{uid}/invitees")
    (inv,) = r.json()["collection"]
    assert INVITEE_KEYS <= set(inv)
    assert (inv["email"], inv["name"], inv["status"], inv["timezone"]) == (
        "ada@example.com",
        "Ada Lovelace",
        "active",
        "Europe/London",
    )
    assert inv["cancel_url"] == f"http://127.0.0.1:8000/cancel/{invitee.cancel_token}/"
    assert inv["reschedule_url"] == f"http://127.0.0.1:8000/reschedule/{invitee.reschedule_token}/"
    assert inv["tracking"] == dict.fromkeys(
        ["utm_campaign", "utm_source", "utm_medium", "utm_content", "utm_term", "salesforce_uuid"]
    )
    assert inv["rescheduled"] is False and inv["no_show"] is None
    one = world.api.get(inv["uri"].replace("http://127.0.0.1:8000", ""))
    assert one.status_code == 200 and one.json()["resource"]["uri"] == inv["uri"]


def test_list_filters_status_times_email_user_and_sort(world, now):
    i1 = book(world.et, at(3, 9), email="ada@example.com", now=now)
    i2 = book(world.et, at(4, 9), email="grace@example.com", now=now)
    i3 = book(world.et, at(5, 9), email="ada@example.com", now=now)
    from slotwise.bookings.services import booking_cancel

    booking_cancel(booking=i2.booking, now=now, reason="conflict")
    org = f"{BASE}/organizations/{world.a.uuid}"
    user = f"{BASE}/users/{world.admin.user.uuid}"

    def uids(**params):
        r = world.api.get("/scheduled_events", params)
        assert r.status_code == 200, r.content
        return [e["uri"].rsplit("/", 1)[1] for e in r.json()["collection"]]

    b1, b2, b3 = (str(i.booking.uid) for i in (i1, i2, i3))
    assert uids(organization=org) == [b1, b2, b3]
    assert uids(user=user, sort="start_time:desc") == [b3, b2, b1]
    assert uids(organization=org, status="active") == [b1, b3]
    assert uids(organization=org, status="canceled") == [b2]
    assert uids(organization=org, min_start_time="2026-03-04T09:00:00Z") == [b2, b3]
    assert uids(organization=org, max_start_time="2026-03-04T09:00:00Z") == [b1]
    assert uids(organization=org, invitee_email="ADA@example.com") == [b1, b3]
    canceled = world.api.get(f"/scheduled_events/{b2}").json()["resource"]
    assert canceled["status"] == "canceled"
    assert canceled["cancellation"]["reason"] == "conflict"
    assert canceled["cancellation"]["canceler_type"] == "host"


def test_scheduled_events_paginate_over_three_pages(world, now):
    uids = [
        str(book(world.et, at(3, 8) + timedelta(hours=h), email=f"p{h}@example.com", now=now).booking.uid)
        for h in range(5)
    ]
    org = f"{BASE}/organizations/{world.a.uuid}"
    seen, url, pages = [], "/scheduled_events", 0
    params = {"organization": org, "count": 2}
    while url:
        r = world.api.get(url, params if pages == 0 else None)
        seen += [e["uri"].rsplit("/", 1)[1] for e in r.json()["collection"]]
        url = r.json()["pagination"]["next_page"]
        pages += 1
    assert pages == 3
    assert seen == uids


def test_scheduled_events_errors(world):
    assert world.api.get("/scheduled_events").status_code == 400  # neither user nor organization
    org = f"{BASE}/organizations/{world.a.uuid}"
    r = world.api.get("/scheduled_events", {"organization": org, "status": "done"})
    assert r.status_code == 400 and r.json()["details"][0]["parameter"] == "status"
    r = world.api.get("/scheduled_events", {"organization": org, "min_start_time": "2026-03-04 09:00"})
    assert r.status_code == 400 and r.json()["details"][0]["parameter"] == "min_start_time"
    r = world.api.get("/scheduled_events", {"organization": org, "sort": "name:asc"})
    assert r.status_code == 400 and r.json()["details"][0]["parameter"] == "sort"
    r = world.api.get("/scheduled_events/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404 and r.json()["title"] == "Resource Not Found"
    assert world.api.get("/scheduled_events/not-a-uuid").status_code == 400


def test_invitees_filter_and_rescheduled_links(world, now):
    inv = book(world.et, at(3, 9), email="ada@example.com", now=now)
    new = booking_reschedule(invitee=inv, new_start=at(3, 11), now=now)
    old_uid, new_uid = inv.booking.uid, new.booking.uid
    old = world.api.get(f"/scheduled_events/{old_uid}/invitees", {"status": "canceled"}).json()["collection"]
    assert len(old) == 1
    assert old[0]["rescheduled"] is True
    assert old[0]["new_invitee"] == f"http://127.0.0.1:8000/api/v2/scheduled_events/{new_uid}/invitees/{new.uid}"
    fresh = world.api.get(f"/scheduled_events/{new_uid}/invitees", {"email": "ada@example.com"}).json()["collection"]
    assert fresh[0]["old_invitee"] == f"http://127.0.0.1:8000/api/v2/scheduled_events/{old_uid}/invitees/{inv.uid}"
    assert world.api.get(f"/scheduled_events/{old_uid}/invitees", {"status": "active"}).json()["collection"] == []
    assert world.api.get(f"/scheduled_events/{old_uid}/invitees", {"status": "gone"}).status_code == 400


def test_cancel_event(world, now):
    inv = book(world.et, at(3, 9), now=now)
    uid = inv.booking.uid
    r = world.api.post(f"/scheduled_events/{uid}/cancellation", {"reason": "Sick"})
    assert r.status_code == 201, r.content
    assert r.json()["resource"]["reason"] == "Sick"
    assert r.json()["resource"]["canceler_type"] == "host"
    assert r.json()["resource"]["canceled_by"] == "Alice"
    assert Booking.objects.get(uid=uid).status == "canceled"
    again = world.api.post(f"/scheduled_events/{uid}/cancellation", {"reason": "Sick"})
    assert again.status_code == 400


def test_cancel_needs_write_and_a_host_or_admin(world, now):
    inv = book(world.et, at(3, 9), now=now)
    assert world.read.post(f"/scheduled_events/{inv.booking.uid}/cancellation", {}).status_code == 403
    assert world.member_api.post(f"/scheduled_events/{inv.booking.uid}/cancellation", {}).status_code == 403
    assert Booking.objects.get(pk=inv.booking.pk).status == "confirmed"


def _book_body(world, start="2026-03-03T10:00:00Z", **over):
    body = {
        "event_type": f"{BASE}/event_types/{world.et.uuid}",
        "start_time": start,
        "invitee": {"name": "Grace Hopper", "email": "grace@example.com", "timezone": "America/New_York"},
    }
    body.update(over)
    return body


def test_post_invitees_books_through_the_booking_service(world):
    world.et.questions = [{"key": "topic", "label": "Topic", "type": "text", "required": True, "options": []}]
    world.et.save()
    r = world.api.post(
        "/invitees",
        _book_body(
            world,
            questions_and_answers=[{"question": "Topic", "answer": "Compilers", "position": 0}],
            location={"kind": "custom", "location": "Room 1"},
        ),
    )
    assert r.status_code == 201, r.content
    inv = r.json()["resource"]
    assert (inv["email"], inv["timezone"], inv["status"]) == ("grace@example.com", "America/New_York", "active")
    assert inv["questions_and_answers"] == [{"question": "Topic", "answer": "Compilers", "position": 0}]
    booking = Invitee.objects.get(email="grace@example.com").booking
    assert booking.source == "api"
    assert booking.start == at(3, 10)
    assert booking.location == "Room 1"


def test_post_invitees_errors(world):
    taken = world.api.post("/invitees", _book_body(world))
    assert taken.status_code == 201
    r = world.api.post(
        "/invitees", _book_body(world, invitee={"name": "B", "email": "b@example.com", "timezone": "UTC"})
    )
    assert r.status_code == 409
    assert r.json()["title"] == "Already Exists"
    assert r.json()["details"][0]["parameter"] == "start_time"
    r = world.api.post("/invitees", _book_body(world, start="2026-03-03T03:00:00Z"))
    assert r.status_code == 409 and "outside the host's hours" in r.json()["message"]
    r = world.api.post("/invitees", _book_body(world, invitee={"name": "X", "email": "nope", "timezone": "UTC"}))
    assert r.status_code == 400 and r.json()["details"][0]["parameter"] == "invitee.email"
    r = world.api.post(
        "/invitees", _book_body(world, invitee={"name": "X", "email": "x@example.com", "timezone": "Mars/Olympus"})
    )
    assert r.status_code == 400 and r.json()["details"][0]["parameter"] == "invitee.timezone"
    assert r.json()["details"][0]["message"] == "should be an IANA time zone such as Europe/Berlin"
    r = world.api.post("/invitees", _book_body(world, start="tomorrow"))
    assert r.status_code == 400 and r.json()["details"][0]["parameter"] == "start_time"
    r = world.api.post("/invitees", {"start_time": "2026-03-03T10:00:00Z"})
    assert r.status_code == 400
    assert {d["parameter"] for d in r.json()["details"]} == {"event_type", "invitee"}
    r = world.api.post("/invitees", _book_body(world, event_type=f"{BASE}/event_types/{world.b_et.uuid}"))
    assert r.status_code == 404
    assert world.read.post("/invitees", _book_body(world, start="2026-03-03T12:00:00Z")).status_code == 403
    assert Invitee.objects.filter(booking__event_type=world.et).count() == 1


def test_issue_schemathesis_cancel_with_a_non_object_body_is_400(world, now):
    """Found by schemathesis: POST .../cancellation with the JSON body `true` canceled the event."""
    inv = book(world.et, at(3, 9), now=now)
    for raw in (b"true", b"[]", b'"x"'):
        r = world.api.client.post(
            f"/api/v2/scheduled_events/{inv.booking.uid}/cancellation",
            raw,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {world.api.secret}",
        )
        assert r.status_code == 400 and r.json()["details"][0]["parameter"] == "body"
    assert Booking.objects.get(pk=inv.booking.pk).status == "confirmed"
    r = world.api.client.post(
        f"/api/v2/scheduled_events/{inv.booking.uid}/cancellation",
        b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.api.secret}",
    )
    assert r.status_code == 201  # no body at all is fine: the reason is optional


def test_an_imported_appointment_cannot_be_canceled_through_the_api(world, now):
    from slotwise.bookings.imports import appointment_import
    from slotwise.scheduling.services import external_event_type

    et = external_event_type(
        owner=world.admin,
        source="calendly",
        uri="https://api.calendly.com/event_types/A",
        name="Intro",
        duration_minutes=30,
    )
    b = appointment_import(
        event_type=et,
        host=world.admin,
        start=at(3, 9),
        end=at(3, 9) + timedelta(minutes=30),
        timezone="UTC",
        location="",
        now=now,
        invitees=[{"name": "Zoe", "email": "zoe@example.com"}],
    )
    r = world.api.post(f"/scheduled_events/{b.uid}/cancellation", {"reason": "Sick"})
    assert r.status_code == 409 and r.json()["message"] == "This appointment comes from Calendly: change it there"
    assert Booking.objects.get(pk=b.pk).status == "confirmed"
    assert world.api.get(f"/event_types/{et.uuid}").status_code == 404  # the stand-in is not served
