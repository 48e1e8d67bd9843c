"""Where each booking meets: generated Jitsi rooms, fixed links, phone, in person, and Zoom through its
REST API (a local fake built from Zoom's documented shapes)."""

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from slotwise.bookings.models import Booking
from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create, booking_reschedule
from slotwise.conferencing.models import Meeting, ZoomGrant
from slotwise.conferencing.services import ZOOM_FALLBACK
from slotwise.jobs.models import Job
from slotwise.jobs.services import run_due
from slotwise.scheduling.models import EventType
from tests import factories as f
from tests.conferencing.zoom_fake import FakeZoom
from tests.notifications.smtp import calendar_part

pytestmark = pytest.mark.django_db
Kind = EventType.LocationKind
NINE = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def host(db):
    return f.host(f.org(), "sam", email="sam@example.com")


def book(et, now, start=NINE, email="iris@example.org"):
    return booking_create(
        event_type=et, start=start, now=now, invitee=InviteeInput(name="Iris", email=email, timezone="Europe/Madrid")
    )


def location(invitee) -> str:
    return Booking.objects.get(pk=invitee.booking_id).location


@pytest.mark.parametrize(
    "kind, value",
    [
        (Kind.LINK, "https://whereby.com/acme-support"),
        (Kind.PHONE, "+34 600 000 000"),
        (Kind.IN_PERSON, "Calle Mayor 1, Madrid"),
        (Kind.CUSTOM, "We will call you on Signal"),
    ],
)
def test_fixed_locations_are_the_event_types_own(host, now, kind, value):
    et = f.event_type(host, location_kind=kind, location_value=value)
    invitee = book(et, now)
    assert location(invitee) == value
    assert (
        Meeting.objects.get().provider
        == {"link": "link", "phone": "phone", "in_person": "in_person", "custom": "custom"}[kind]
    )


def test_every_video_booking_gets_its_own_unguessable_jitsi_room(host, now, settings):
    settings.JITSI_BASE_URL = "https://jitsi.example.org"
    et = f.event_type(host, location_kind=Kind.VIDEO)
    a = book(et, now)
    b = book(et, now, start=datetime(2026, 3, 3, 10, 0, tzinfo=UTC), email="otto@example.org")
    assert location(a).startswith("https://jitsi.example.org/Slotwise-")
    assert len(location(a).rsplit("-", 1)[1]) == 20
    assert location(a) != location(b)


def test_a_group_events_invitees_share_one_room(host, now):
    et = f.event_type(host, location_kind=Kind.VIDEO, seats=3)
    a = book(et, now)
    b = book(et, now, email="otto@example.org")
    assert a.booking_id == b.booking_id
    assert Meeting.objects.count() == 1


@pytest.fixture
def zoom(settings):
    fake = FakeZoom(client_id="cid", client_secret="csecret").start()
    settings.ZOOM_API_BASE = f"{fake.base}/v2"
    settings.ZOOM_OAUTH_BASE = fake.base
    settings.ZOOM_CLIENT_ID, settings.ZOOM_CLIENT_SECRET = "cid", "csecret"
    yield fake
    fake.stop()


def connect(fake, membership, now, *, expires_in_minutes=60):
    from datetime import timedelta

    access, refresh = fake.grant()
    return ZoomGrant.objects.create(
        membership=membership,
        access_token=access,
        refresh_token=refresh,
        expires_at=now + timedelta(minutes=expires_in_minutes),
    )


def test_zoom_meeting_is_created_after_commit_and_the_invitation_waits_for_its_link(host, now, zoom, smtp):
    connect(zoom, host, now)
    et = f.event_type(host, name="Onboarding", location_kind=Kind.ZOOM, duration_minutes=45)
    invitee = book(et, now)
    assert location(invitee) == ""
    assert Meeting.objects.get().status == "pending"
    assert zoom.requests == []  # no network inside the booking's transaction

    run_due(now)
    ((meeting_id, created),) = zoom.meetings.items()
    assert (created["topic"], created["type"], created["start_time"], created["duration"], created["timezone"]) == (
        "Onboarding",
        2,
        "2026-03-03T09:00:00Z",
        45,
        "Europe/Madrid",
    )
    assert location(invitee) == created["join_url"]
    assert Meeting.objects.get().external_id == str(meeting_id)

    run_due(now)  # the invitation, deferred while the link did not exist
    (mail,) = smtp.to("iris@example.org")
    ev = Calendar.from_ical(calendar_part(mail).get_payload(decode=True)).walk("VEVENT")[0]
    assert str(ev["LOCATION"]) == created["join_url"]
    assert f"Where: {created['join_url']}" in mail.get_body(("plain",)).get_content()


def test_an_expired_zoom_token_is_refreshed_and_saved(host, now, zoom):
    grant = connect(zoom, host, now)
    old_access, old_refresh = grant.access_token, grant.refresh_token
    zoom.expire(old_access)  # revoked early: the API answers 401
    et = f.event_type(host, location_kind=Kind.ZOOM)
    book(et, now)
    run_due(now)
    assert [r for r in zoom.requests] == [
        ("POST", "/v2/users/me/meetings"),
        ("POST", "/oauth/token"),
        ("POST", "/v2/users/me/meetings"),
    ]
    grant.refresh_from_db()
    assert grant.access_token != old_access and grant.refresh_token != old_refresh
    assert Meeting.objects.get().status == "ready"


def test_a_token_past_its_expiry_is_refreshed_before_the_call(host, now, zoom):
    connect(zoom, host, now, expires_in_minutes=-1)
    book(f.event_type(host, location_kind=Kind.ZOOM), now)
    run_due(now)
    assert zoom.requests == [("POST", "/oauth/token"), ("POST", "/v2/users/me/meetings")]


def test_zoom_outage_is_retried_with_backoff(host, now, zoom):
    connect(zoom, host, now)
    zoom.fail_next = [503]
    book(f.event_type(host, location_kind=Kind.ZOOM), now)
    run_due(now)
    job = Job.objects.get(kind="conferencing.zoom_create")
    assert (job.status, job.attempts) == ("pending", 1)
    run_due(job.due_at)
    assert Meeting.objects.get().status == "ready"


def test_a_host_without_zoom_gets_a_fallback_and_the_invitation_still_goes(host, now, zoom, smtp):
    invitee = book(f.event_type(host, location_kind=Kind.ZOOM), now)
    run_due(now)
    run_due(now)
    assert location(invitee) == ZOOM_FALLBACK
    assert Meeting.objects.get().error == "Sam has not connected Zoom".replace("Sam", str(host))
    assert len(smtp.to("iris@example.org")) == 1


def test_reschedule_moves_the_zoom_meeting_and_cancel_deletes_it(host, now, zoom, smtp):
    connect(zoom, host, now)
    et = f.event_type(host, location_kind=Kind.ZOOM)
    first = book(et, now)
    run_due(now)
    (mid,) = zoom.meetings
    join = location(first)
    moved = booking_reschedule(invitee=first, new_start=datetime(2026, 3, 4, 15, 0, tzinfo=UTC), now=now)
    run_due(now)
    run_due(now)
    assert list(zoom.meetings) == [mid]
    assert zoom.meetings[mid]["start_time"] == "2026-03-04T15:00:00Z"
    assert location(moved) == join
    booking_cancel(booking=moved.booking, now=now)
    run_due(now)
    assert zoom.meetings == {}
    assert ("DELETE", f"/v2/meetings/{mid}") in zoom.requests


def test_the_confirmation_page_text_while_zoom_is_being_created(host, now, zoom):
    from slotwise.conferencing.selectors import PENDING_TEXT, display_location

    connect(zoom, host, now)
    invitee = book(f.event_type(host, location_kind=Kind.ZOOM), now)
    assert display_location(Booking.objects.get(pk=invitee.booking_id)) == PENDING_TEXT
    run_due(now)
    booking = Booking.objects.get(pk=invitee.booking_id)
    assert display_location(booking) == booking.location == next(iter(zoom.meetings.values()))["join_url"]
