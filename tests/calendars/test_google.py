"""Google Calendar against a local fake built from Google's documented shapes."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create
from slotwise.calendars.adapters.google import Google, consent_url, google_id
from slotwise.calendars.models import CalendarConnection, CalendarEvent
from slotwise.calendars.services import calendars_choose, connection_add_google, google_push, google_watch
from slotwise.calendars.sync import sync_connection
from slotwise.core.errors import InvalidInput
from slotwise.core.secrets import seal, unseal
from slotwise.jobs.models import Job
from slotwise.jobs.services import run_due
from slotwise.scheduling.models import BusyBlock
from tests import factories as f

from .google_fake import GoogleFake, serve

pytestmark = pytest.mark.django_db(transaction=True)
REDIRECT = "http://testserver/dashboard/calendars/google/callback/"


def utc(*a):
    return datetime(*a, tzinfo=UTC)


@pytest.fixture
def google(settings):
    fake = GoogleFake()
    server = serve(fake)
    base = f"http://127.0.0.1:{server.server_port}"
    settings.SLOTWISE_GOOGLE_AUTH_URL = f"{base}/o/oauth2/v2/auth"
    settings.SLOTWISE_GOOGLE_TOKEN_URL = f"{base}/token"
    settings.SLOTWISE_GOOGLE_API_URL = base
    settings.SLOTWISE_GOOGLE_CLIENT_ID = "slotwise-client"
    settings.SLOTWISE_GOOGLE_CLIENT_SECRET = "s3cret"
    fake.add_calendar("ada@example.com", "Ada", primary=True)
    fake.add_calendar("holidays@group.v.calendar.google.com", "Holidays", role="reader")
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def setup(google, now):
    org = f.org()
    host = f.host(org, tz="Europe/Berlin")
    et = f.event_type(host, duration_minutes=30, location_value="https://meet.example.org/x", location_kind="link")
    conn = connection_add_google(membership=host, code=google.issue_code(REDIRECT), redirect_uri=REDIRECT, now=now)
    return host, et, conn


def blocks(conn):
    return sorted(BusyBlock.objects.filter(source=conn.busy_source).values_list("start", "end", "label"))


def test_consent_url_asks_for_offline_calendar_access(google):
    url = consent_url(redirect_uri=REDIRECT, state="st4te")
    assert url.startswith(f"{google_url(google)}/o/oauth2/v2/auth?")
    assert "client_id=slotwise-client" in url and "access_type=offline" in url and "state=st4te" in url
    assert "scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar" in url


def google_url(google):
    from django.conf import settings

    return settings.SLOTWISE_GOOGLE_API_URL


def test_connecting_stores_tokens_encrypted_and_lists_calendars(setup, google):
    host, et, conn = setup
    assert sorted(conn.calendars.values_list("remote_id", "read_only")) == [
        ("ada@example.com", False),
        ("holidays@group.v.calendar.google.com", True),
    ]
    tokens = unseal(conn.secret)
    assert tokens["access_token"].startswith("ya29.") and tokens["refresh_token"].startswith("1//")
    assert "ya29." not in conn.secret and "1//" not in conn.secret
    assert google.token_calls[0]["grant_type"] == "authorization_code"


def test_a_used_or_wrong_code_is_a_400_with_a_reason(google, now):
    host = f.host(f.org())
    with pytest.raises(InvalidInput, match="Google refused the connection"):
        connection_add_google(membership=host, code="4/forged", redirect_uri=REDIRECT, now=now)
    assert CalendarConnection.objects.count() == 0


def test_busy_time_from_google_events_recurring_exceptions_cancelled_transparent_all_day(setup, google, now):
    host, et, conn = setup
    cal = "ada@example.com"
    google.upsert(
        cal,
        {
            "id": "weekly",
            "summary": "1:1",
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
            "start": {"dateTime": "2026-03-17T10:00:00+01:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2026-03-17T10:30:00+01:00", "timeZone": "Europe/Berlin"},
        },
    )
    google.upsert(
        cal,
        {
            "id": "weekly_20260324T090000Z",
            "recurringEventId": "weekly",
            "iCalUID": "weekly@google.com",
            "summary": "1:1 (moved)",
            "originalStartTime": {"dateTime": "2026-03-24T10:00:00+01:00", "timeZone": "Europe/Berlin"},
            "start": {"dateTime": "2026-03-24T15:00:00+01:00"},
            "end": {"dateTime": "2026-03-24T15:30:00+01:00"},
        },
    )
    google.upsert(
        cal,
        {
            "id": "weekly_20260331T080000Z",
            "recurringEventId": "weekly",
            "iCalUID": "weekly@google.com",
            "status": "cancelled",
            "originalStartTime": {"dateTime": "2026-03-31T10:00:00+02:00", "timeZone": "Europe/Berlin"},
        },
    )
    google.upsert(
        cal,
        {
            "id": "lunch",
            "summary": "Lunch (free)",
            "transparency": "transparent",
            "start": {"dateTime": "2026-03-18T12:00:00Z"},
            "end": {"dateTime": "2026-03-18T13:00:00Z"},
        },
    )
    google.upsert(
        cal, {"id": "offsite", "summary": "Offsite", "start": {"date": "2026-03-20"}, "end": {"date": "2026-03-21"}}
    )

    assert sync_connection(connection=conn, now=now).ok
    assert blocks(conn) == [
        (utc(2026, 3, 17, 9), utc(2026, 3, 17, 9, 30), "1:1"),
        (utc(2026, 3, 19, 23), utc(2026, 3, 20, 23), "Offsite"),  # the host's Berlin day
        (utc(2026, 3, 24, 14), utc(2026, 3, 24, 14, 30), "1:1 (moved)"),
        (utc(2026, 4, 7, 8), utc(2026, 4, 7, 8, 30), "1:1"),  # 10:00 CEST after the DST change
    ]
    assert google.api_calls("GET", "/events")[0]["showDeleted"] == "true"


def test_incremental_sync_with_sync_tokens_and_410_means_full_resync(setup, google, now):
    host, et, conn = setup
    cal = "ada@example.com"
    google.upsert(
        cal,
        {
            "id": "a",
            "summary": "A",
            "start": {"dateTime": "2026-03-03T09:00:00Z"},
            "end": {"dateTime": "2026-03-03T10:00:00Z"},
        },
    )
    google.upsert(
        cal,
        {
            "id": "b",
            "summary": "B",
            "start": {"dateTime": "2026-03-04T09:00:00Z"},
            "end": {"dateTime": "2026-03-04T10:00:00Z"},
        },
    )
    google.page_size = 1  # pages are followed to the end
    sync_connection(connection=conn, now=now)
    assert [b[2] for b in blocks(conn)] == ["A", "B"]

    google.upsert(
        cal,
        {
            "id": "a",
            "summary": "A later",
            "start": {"dateTime": "2026-03-03T15:00:00Z"},
            "end": {"dateTime": "2026-03-03T16:00:00Z"},
        },
    )
    google.cancel(cal, "b")
    before = len(google.api_calls("GET", "/events"))
    result = sync_connection(connection=conn, now=now)
    assert (result.changed, result.deleted) == (1, 1)
    incremental = google.api_calls("GET", "/events")[before]
    assert incremental["syncToken"].startswith("ada@example.com:")
    assert blocks(conn) == [(utc(2026, 3, 3, 15), utc(2026, 3, 3, 16), "A later")]

    google.forget_sync_tokens()
    google.upsert(
        cal,
        {
            "id": "c",
            "summary": "C",
            "start": {"dateTime": "2026-03-05T09:00:00Z"},
            "end": {"dateTime": "2026-03-05T10:00:00Z"},
        },
    )
    assert sync_connection(connection=conn, now=now).ok
    assert [b[2] for b in blocks(conn)] == ["A later", "C"]
    assert "syncToken" not in google.api_calls("GET", "/events")[-1]


def test_an_expired_access_token_is_refreshed_and_the_new_one_stored(setup, google, now):
    host, et, conn = setup
    tokens = unseal(conn.secret)
    google.access.clear()  # Google forgot the old access token too
    conn.secret = seal({**tokens, "expires_at": (now - timedelta(minutes=1)).isoformat()})
    conn.save()
    assert sync_connection(connection=conn, now=now).ok
    assert google.token_calls[-1]["grant_type"] == "refresh_token"
    conn.refresh_from_db()
    assert unseal(conn.secret)["access_token"] != tokens["access_token"]
    assert unseal(conn.secret)["refresh_token"] == tokens["refresh_token"]


def test_a_revoked_refresh_token_is_shown_as_a_sync_error(setup, google, now):
    host, et, conn = setup
    google.access.clear()
    google.refresh.clear()
    result = sync_connection(connection=conn, now=now)
    conn.refresh_from_db()
    assert not result.ok
    assert conn.last_error == "Google token endpoint: HTTP 400 invalid_grant"


def test_write_back_inserts_with_attendees_and_deletes_on_cancel(setup, google, now):
    host, et, conn = setup
    primary = conn.calendars.get(remote_id="ada@example.com")
    calendars_choose(connection=conn, conflicts={primary.pk}, writeback=primary.pk)
    inv = booking_create(
        event_type=et,
        start=utc(2026, 3, 3, 10),
        invitee=InviteeInput(name="Bob Example", email="bob@example.org", timezone="UTC"),
        now=now,
    )
    run_due(now)
    ce = CalendarEvent.objects.get()
    ev = google.calendars["ada@example.com"]["events"][ce.href]
    assert ce.href == google_id(ce.uid)
    assert ev["start"] == {"dateTime": "2026-03-03T10:00:00Z"} and ev["end"] == {"dateTime": "2026-03-03T10:30:00Z"}
    assert ev["attendees"] == [{"email": "bob@example.org", "displayName": "Bob Example"}]
    assert ev["location"] == "https://meet.example.org/x"
    assert google.api_calls("POST", "/events")[-1]["sendUpdates"] == "none"

    # Syncing back skips our own event: the booking blocks that time already.
    sync_connection(connection=conn, now=now)
    assert blocks(conn) == []

    booking_cancel(booking=inv.booking, now=now)
    run_due(now)
    assert google.calendars["ada@example.com"]["events"][ce.href]["status"] == "cancelled"
    assert CalendarEvent.objects.count() == 0


def test_a_retried_insert_updates_instead_of_duplicating(setup, google, now):
    host, et, conn = setup
    adapter = Google(unseal(conn.secret), now=now)
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u1@slotwise\r\nDTSTART:20260303T100000Z\r\n"
        "DTEND:20260303T103000Z\r\nSUMMARY:S\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    first = adapter.put_event("ada@example.com", uid="u1@slotwise", ics=ics)
    second = adapter.put_event("ada@example.com", uid="u1@slotwise", ics=ics.replace("SUMMARY:S", "SUMMARY:T"))
    assert first.href == second.href
    assert [e["summary"] for e in google.calendars["ada@example.com"]["events"].values()] == ["T"]


def test_push_channel_and_notifications_schedule_a_sync(setup, google, now, settings):
    host, et, conn = setup
    google_watch(connection=conn, address="https://slotwise.example.org/calendars/google/push/", now=now)
    conn.refresh_from_db()
    assert [c["address"] for c in google.channels] == ["https://slotwise.example.org/calendars/google/push/"] * 2
    assert conn.channel_expires_at == utc(2026, 3, 31)
    Job.objects.filter(kind="calendars.sync").delete()

    assert google_push(channel_id=conn.channel_id, token="wrong", state="exists", now=now) is False
    assert not Job.objects.filter(kind="calendars.sync").exists()
    assert google_push(channel_id=conn.channel_id, token=conn.channel_token, state="sync", now=now) is True
    assert not Job.objects.filter(kind="calendars.sync").exists()  # the handshake changes nothing

    resp = Client().post(
        "/calendars/google/push/",
        HTTP_X_GOOG_CHANNEL_ID=conn.channel_id,
        HTTP_X_GOOG_CHANNEL_TOKEN=conn.channel_token,
        HTTP_X_GOOG_RESOURCE_STATE="exists",
    )
    assert resp.status_code == 204
    job = Job.objects.get(kind="calendars.sync")
    assert (job.status, job.payload) == ("pending", {"connection_id": conn.pk})


def test_oauth_views_connect_and_callback(google, settings):
    host = f.host(f.org())
    c = Client()
    c.force_login(host.user)
    resp = c.get("/dashboard/calendars/google/connect/")
    assert resp.status_code == 302
    from urllib.parse import parse_qs, urlsplit

    q = {k: v[0] for k, v in parse_qs(urlsplit(resp["Location"]).query).items()}
    assert q["redirect_uri"] == REDIRECT
    bad = c.get("/dashboard/calendars/google/callback/", {"code": "x", "state": "forged"})
    assert bad.status_code == 302 and CalendarConnection.objects.count() == 0
    resp = c.get("/dashboard/calendars/google/connect/")
    q = {k: v[0] for k, v in parse_qs(urlsplit(resp["Location"]).query).items()}
    ok = c.get("/dashboard/calendars/google/callback/", {"code": google.issue_code(REDIRECT), "state": q["state"]})
    assert ok.status_code == 302
    assert CalendarConnection.objects.get().kind == "google"
