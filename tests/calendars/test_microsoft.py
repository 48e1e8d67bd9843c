"""Microsoft 365 / Outlook against a local Graph fake built from Microsoft's documented shapes."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create, booking_reschedule
from slotwise.calendars.adapters.microsoft import consent_url, pkce_pair
from slotwise.calendars.models import CalendarConnection, CalendarEvent
from slotwise.calendars.services import calendars_choose, connection_add_microsoft
from slotwise.calendars.sync import sync_connection
from slotwise.calendars.tasks import run_sync
from slotwise.core.errors import InvalidInput
from slotwise.core.secrets import seal, unseal
from slotwise.jobs.models import Job
from slotwise.jobs.services import run_due
from slotwise.scheduling.models import BusyBlock
from tests import factories as f

from .graph_fake import GraphFake, serve

pytestmark = pytest.mark.django_db(transaction=True)
REDIRECT = "http://testserver/dashboard/calendars/microsoft/callback/"
PRIMARY = "AAMkAGI2-calendar"


def utc(*a):
    return datetime(*a, tzinfo=UTC)


@pytest.fixture
def graph(settings):
    fake = GraphFake()
    server = serve(fake)
    fake.base = f"http://127.0.0.1:{server.server_port}"
    settings.SLOTWISE_MICROSOFT_LOGIN_URL = fake.base
    settings.SLOTWISE_MICROSOFT_TENANT = "common"
    settings.SLOTWISE_MICROSOFT_GRAPH_URL = fake.base
    settings.SLOTWISE_MICROSOFT_CLIENT_ID = fake.client_id
    settings.SLOTWISE_MICROSOFT_CLIENT_SECRET = fake.client_secret
    fake.add_calendar(PRIMARY, "Calendar")
    fake.add_calendar("AAMkAGI2-birthdays", "Birthdays", can_edit=False)
    yield fake
    server.shutdown()
    server.server_close()


def connect(graph, membership, now, **kw):
    verifier, challenge = pkce_pair()
    return connection_add_microsoft(
        membership=membership,
        code=graph.issue_code(REDIRECT, challenge),
        redirect_uri=REDIRECT,
        code_verifier=verifier,
        now=now,
        **kw,
    )


@pytest.fixture
def setup(graph, now):
    host = f.host(f.org(), tz="Europe/Berlin")
    et = f.event_type(host, duration_minutes=30, location_value="https://meet.example.org/x", location_kind="link")
    conn = connect(graph, host, now)
    conn.calendars.exclude(remote_id=PRIMARY).update(use_for_conflicts=False)
    return host, et, conn


def blocks(conn):
    return sorted(BusyBlock.objects.filter(source=conn.busy_source).values_list("start", "end", "label"))


def event(subject, start, end, zone="UTC", **kw):
    return {
        "subject": subject,
        "start": {"dateTime": start, "timeZone": zone},
        "end": {"dateTime": end, "timeZone": zone},
        **kw,
    }


# OAuth ----------------------------------------------------------------------------------------------------


def test_consent_url_uses_pkce_s256_on_the_configured_tenant(graph, settings):
    settings.SLOTWISE_MICROSOFT_TENANT = "contoso.onmicrosoft.com"
    url = consent_url(redirect_uri=REDIRECT, state="st4te", code_challenge="ch4llenge")
    parts = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{graph.base}/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
    )
    assert (q["code_challenge"], q["code_challenge_method"], q["state"]) == ("ch4llenge", "S256", "st4te")
    assert q["client_id"] == graph.client_id and q["response_type"] == "code"
    assert "offline_access" in q["scope"].split() and "https://graph.microsoft.com/Calendars.ReadWrite" in q["scope"]


def test_connecting_stores_sealed_tokens_and_lists_calendars_with_their_write_access(setup, graph):
    host, et, conn = setup
    assert conn.kind == "microsoft" and conn.get_kind_display() == "Microsoft 365 / Outlook"
    assert conn.name == "ada@contoso.example"  # the mailbox, as the dashboard names the connection
    assert sorted(conn.calendars.values_list("remote_id", "read_only")) == [
        ("AAMkAGI2-birthdays", True),
        (PRIMARY, False),
    ]
    tokens = unseal(conn.secret)
    assert tokens["access_token"] in graph.access and tokens["refresh_token"] in graph.refresh
    assert tokens["refresh_token"] not in conn.secret
    first = graph.token_calls[0]
    assert first["grant_type"] == "authorization_code" and len(first["code_verifier"]) >= 43
    assert graph.log[0][:2] == ("GET", "/v1.0/me/calendars")


def test_a_code_with_the_wrong_pkce_verifier_connects_nothing(graph, now):
    host = f.host(f.org())
    _, challenge = pkce_pair()
    with pytest.raises(InvalidInput, match="Microsoft refused the connection"):
        connection_add_microsoft(
            membership=host,
            code=graph.issue_code(REDIRECT, challenge),
            redirect_uri=REDIRECT,
            code_verifier=pkce_pair()[0],
            now=now,
        )
    assert CalendarConnection.objects.count() == 0


def test_connect_and_callback_views_keep_the_verifier_in_the_session(graph):
    host = f.host(f.org())
    c = Client()
    c.force_login(host.user)
    resp = c.get("/dashboard/calendars/")
    assert "Connect Microsoft 365 / Outlook" in resp.content.decode()
    resp = c.get("/dashboard/calendars/microsoft/connect/")
    q = {k: v[0] for k, v in parse_qs(urlsplit(resp["Location"]).query).items()}
    assert resp.status_code == 302 and q["redirect_uri"] == REDIRECT
    forged = c.get("/dashboard/calendars/microsoft/callback/", {"code": "x", "state": "forged"})
    assert forged.status_code == 302 and CalendarConnection.objects.count() == 0

    resp = c.get("/dashboard/calendars/microsoft/connect/")
    q = {k: v[0] for k, v in parse_qs(urlsplit(resp["Location"]).query).items()}
    code = graph.issue_code(REDIRECT, q["code_challenge"])
    ok = c.get("/dashboard/calendars/microsoft/callback/", {"code": code, "state": q["state"]}, follow=True)
    conn = CalendarConnection.objects.get()
    assert conn.kind == "microsoft"
    page = ok.content.decode()
    assert "Outlook connected" in page and "Birthdays" in page and f'id="connection-{conn.pk}"' in page

    denied = c.get("/dashboard/calendars/microsoft/connect/")
    q = {k: v[0] for k, v in parse_qs(urlsplit(denied["Location"]).query).items()}
    resp = c.get(
        "/dashboard/calendars/microsoft/callback/",
        {"error": "access_denied", "error_description": "AADSTS65004: User declined to consent.", "state": q["state"]},
        follow=True,
    )
    assert "Microsoft said: AADSTS65004: User declined to consent.; nothing was connected" in resp.content.decode()


# Busy time ------------------------------------------------------------------------------------------------


def test_show_as_all_day_and_cancelled_events_as_busy_time(setup, graph, now):
    host, et, conn = setup
    for show_as in ("free", "tentative", "busy", "oof", "workingElsewhere"):
        day = {"free": 3, "tentative": 4, "busy": 5, "oof": 6, "workingElsewhere": 9}[show_as]
        graph.upsert(
            PRIMARY,
            event(show_as, f"2026-03-{day:02}T09:00:00.0000000", f"2026-03-{day:02}T10:00:00.0000000", showAs=show_as),
        )
    graph.upsert(
        PRIMARY, event("Cancelled", "2026-03-10T09:00:00.0000000", "2026-03-10T10:00:00.0000000", isCancelled=True)
    )
    graph.upsert(
        PRIMARY,
        event(
            "Offsite",
            "2026-03-12T00:00:00.0000000",
            "2026-03-14T00:00:00.0000000",
            zone="W. Europe Standard Time",
            isAllDay=True,
        ),
    )
    assert sync_connection(connection=conn, now=now).ok
    assert blocks(conn) == [
        (utc(2026, 3, 4, 9), utc(2026, 3, 4, 10), "tentative"),
        (utc(2026, 3, 5, 9), utc(2026, 3, 5, 10), "busy"),
        (utc(2026, 3, 6, 9), utc(2026, 3, 6, 10), "oof"),
        (utc(2026, 3, 9, 9), utc(2026, 3, 9, 10), "workingElsewhere"),
        (utc(2026, 3, 11, 23), utc(2026, 3, 13, 23), "Offsite"),  # two whole Berlin days
    ]
    path, query, headers = graph.api_calls("GET", "/calendarView/delta")[0]
    assert path == f"/v1.0/me/calendars/{PRIMARY}/calendarView/delta"
    assert (query["startDateTime"], query["endDateTime"]) == ("2026-03-01T08:00:00Z", "2026-08-29T08:00:00Z")
    assert headers["Prefer"] == 'outlook.timezone="UTC"'


def test_delta_pages_are_followed_and_the_delta_link_brings_only_changes(setup, graph, now):
    host, et, conn = setup
    a = graph.upsert(PRIMARY, event("A", "2026-03-03T09:00:00.0000000", "2026-03-03T10:00:00.0000000"))
    b = graph.upsert(PRIMARY, event("B", "2026-03-04T09:00:00.0000000", "2026-03-04T10:00:00.0000000"))
    graph.upsert(PRIMARY, event("C", "2026-03-05T09:00:00.0000000", "2026-03-05T10:00:00.0000000"))
    graph.page_size = 2
    assert sync_connection(connection=conn, now=now).ok
    assert [x[2] for x in blocks(conn)] == ["A", "B", "C"]
    calls = graph.api_calls("GET", "/calendarView/delta")
    assert len(calls) == 2 and "$skiptoken" in calls[1][1]  # the second page came from @odata.nextLink
    cal = conn.calendars.get(remote_id=PRIMARY)
    assert "$deltatoken=" in cal.sync_token

    graph.upsert(
        PRIMARY,
        {
            **a,
            "subject": "A later",
            "start": {"dateTime": "2026-03-03T15:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2026-03-03T16:00:00.0000000", "timeZone": "UTC"},
        },
    )
    graph.remove(PRIMARY, b["id"])
    result = sync_connection(connection=conn, now=now)
    assert (result.changed, result.deleted) == (1, 1)
    assert "$deltatoken" in graph.api_calls("GET", "/calendarView/delta")[-1][1]
    assert [x[2] for x in blocks(conn)] == ["A later", "C"]
    assert blocks(conn)[0][:2] == (utc(2026, 3, 3, 15), utc(2026, 3, 3, 16))


def test_a_forgotten_delta_token_is_a_full_resync(setup, graph, now):
    host, et, conn = setup
    a = graph.upsert(PRIMARY, event("A", "2026-03-03T09:00:00.0000000", "2026-03-03T10:00:00.0000000"))
    sync_connection(connection=conn, now=now)
    graph.forget_delta_tokens()
    graph.remove(PRIMARY, a["id"])
    graph.upsert(PRIMARY, event("D", "2026-03-06T09:00:00.0000000", "2026-03-06T10:00:00.0000000"))
    assert sync_connection(connection=conn, now=now).ok
    assert [x[2] for x in blocks(conn)] == ["D"]  # A is gone although no @removed was ever seen for it
    assert "startDateTime" in graph.api_calls("GET", "/calendarView/delta")[-1][1]


@pytest.mark.parametrize("why", ["free_busy_only", "no_delta"])
def test_a_calendar_without_delta_falls_back_to_get_schedule(graph, now, why):
    host = f.host(f.org(), tz="Europe/Berlin")
    graph.add_calendar("AAMk-boss", "Boss", can_edit=False, owner="boss@contoso.example", **{why: True})
    graph.upsert(
        "AAMk-boss", event("Board", "2026-03-03T09:00:00.0000000", "2026-03-03T11:00:00.0000000", showAs="oof")
    )
    graph.upsert(
        "AAMk-boss", event("Lunch", "2026-03-03T12:00:00.0000000", "2026-03-03T13:00:00.0000000", showAs="free")
    )
    conn = connect(graph, host, now)
    conn.calendars.exclude(remote_id="AAMk-boss").update(use_for_conflicts=False)
    assert sync_connection(connection=conn, now=now).ok
    assert blocks(conn) == [(utc(2026, 3, 3, 9), utc(2026, 3, 3, 11), "busy")]
    path, _, _ = graph.api_calls("POST", "getSchedule")[0]
    assert path == "/v1.0/me/calendar/getSchedule"
    # 180 days asked for in spans under Graph's 42-day limit, end to end
    spans = [(c["startTime"]["dateTime"], c["endTime"]["dateTime"]) for c in graph.schedule_calls]
    assert len(spans) == 5 and spans[0][0] == "2026-03-01T08:00:00" and spans[-1][1] == "2026-08-29T08:00:00"
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))


# Windows time zones ----------------------------------------------------------------------------------------


def test_events_in_windows_zones_sync_at_exact_instants_and_an_unknown_zone_is_named(setup, graph, now):
    host, et, conn = setup
    graph.upsert(
        PRIMARY,
        event(
            "Berlin standup",
            "2026-03-30T09:00:00.0000000",
            "2026-03-30T09:15:00.0000000",
            zone="W. Europe Standard Time",
        ),
    )
    graph.upsert(
        PRIMARY,
        event("LA sync", "2026-03-06T08:00:00.0000000", "2026-03-06T09:00:00.0000000", zone="Pacific Standard Time"),
    )
    graph.upsert(
        PRIMARY,
        event("Kathmandu", "2026-03-06T17:00:00.0000000", "2026-03-06T18:00:00.0000000", zone="Nepal Standard Time"),
    )
    graph.upsert(
        PRIMARY,
        event("Mars", "2026-03-07T09:00:00.0000000", "2026-03-07T10:00:00.0000000", zone="Olympus Mons Standard Time"),
    )
    result = sync_connection(connection=conn, now=now)
    assert blocks(conn) == [
        (utc(2026, 3, 6, 11, 15), utc(2026, 3, 6, 12, 15), "Kathmandu"),
        (utc(2026, 3, 6, 16), utc(2026, 3, 6, 17), "LA sync"),
        (utc(2026, 3, 30, 7), utc(2026, 3, 30, 7, 15), "Berlin standup"),  # CEST, the day after the change
    ]
    conn.refresh_from_db()
    assert result.ok and conn.import_report == [
        "Mars: Outlook uses the time zone 'Olympus Mons Standard Time', which Slotwise does not know; "
        "the event was not imported"
    ]


# Tokens and throttling -------------------------------------------------------------------------------------


def test_an_expired_access_token_is_refreshed_once_and_the_rotated_refresh_token_stored(setup, graph, now):
    host, et, conn = setup
    tokens = unseal(conn.secret)
    graph.access.clear()  # expired early at Microsoft's end: Graph answers 401
    assert sync_connection(connection=conn, now=now).ok
    conn.refresh_from_db()
    stored = unseal(conn.secret)
    assert graph.token_calls[-1]["grant_type"] == "refresh_token"
    assert stored["refresh_token"] != tokens["refresh_token"] and stored["refresh_token"] in graph.refresh
    assert tokens["refresh_token"] not in graph.refresh  # the old one is spent: losing the new one would hurt

    conn.secret = seal({**stored, "expires_at": (now - timedelta(minutes=1)).isoformat()})
    conn.save()
    before = len(graph.token_calls)
    assert sync_connection(connection=conn, now=now).ok
    assert len(graph.token_calls) == before + 1  # expired by the clock: refreshed before calling Graph


def test_a_revoked_refresh_token_asks_the_host_to_reconnect_and_reconnecting_keeps_the_choices(setup, graph, now):
    host, et, conn = setup
    graph.access.clear()
    graph.refresh.clear()
    result = sync_connection(connection=conn, now=now)
    conn.refresh_from_db()
    assert not result.ok and conn.needs_reconnect
    assert conn.last_error == (
        "Microsoft no longer accepts Slotwise's access to this calendar (it was revoked or expired): reconnect Outlook"
    )
    c = Client()
    c.force_login(host.user)
    page = c.get("/dashboard/calendars/").content.decode()
    assert f'href="/dashboard/calendars/microsoft/connect/?reconnect={conn.pk}"' in page

    again = connect(graph, host, now, reconnect=conn)
    assert again.pk == conn.pk and CalendarConnection.objects.count() == 1
    conn.refresh_from_db()
    assert not conn.needs_reconnect and conn.last_error == ""
    assert list(conn.calendars.filter(use_for_conflicts=True).values_list("remote_id", flat=True)) == [PRIMARY]
    assert sync_connection(connection=conn, now=now).ok


def test_429_with_retry_after_retries_later_and_loses_nothing(setup, graph, now):
    host, et, conn = setup
    for day in (3, 4, 5):
        graph.upsert(
            PRIMARY, event(f"E{day}", f"2026-03-{day:02}T09:00:00.0000000", f"2026-03-{day:02}T10:00:00.0000000")
        )
    sync_connection(connection=conn, now=now)
    token = conn.calendars.get(remote_id=PRIMARY).sync_token
    graph.upsert(PRIMARY, event("New", "2026-03-06T09:00:00.0000000", "2026-03-06T10:00:00.0000000"))
    graph.throttle = [(429, "120")]
    Job.objects.filter(kind="calendars.sync").delete()

    class FakeJob:
        attempts = 1

    from unittest import mock

    with mock.patch("slotwise.calendars.tasks.utc_now", return_value=now):
        run_sync({"connection_id": conn.pk}, FakeJob())
    conn.refresh_from_db()
    assert conn.last_error == "Outlook is limiting how often Slotwise may ask; Slotwise tries again in 120 seconds"
    assert conn.calendars.get(remote_id=PRIMARY).sync_token == token  # the round was not read: token kept
    assert Job.objects.get(kind="calendars.sync", status="pending").due_at == now + timedelta(seconds=120)
    assert [x[2] for x in blocks(conn)] == ["E3", "E4", "E5"]  # the busy time we had still counts

    graph.throttle = [(503, "30")]
    result = sync_connection(connection=conn, now=now)
    assert result.retry_after == 30 and "Outlook is busy" in result.errors[0]
    assert sync_connection(connection=conn, now=now).ok
    assert [x[2] for x in blocks(conn)] == ["E3", "E4", "E5", "New"]


# Write-back ------------------------------------------------------------------------------------------------


def test_write_back_round_trip_create_move_delete(setup, graph, now):
    host, et, conn = setup
    primary = conn.calendars.get(remote_id=PRIMARY)
    calendars_choose(connection=conn, conflicts={primary.pk}, writeback=primary.pk)
    inv = booking_create(
        event_type=et,
        start=utc(2026, 3, 3, 10),
        invitee=InviteeInput(name="Bob Example", email="bob@example.org", timezone="UTC"),
        now=now,
    )
    run_due(now)
    ce = CalendarEvent.objects.get()
    ev = graph.calendars[PRIMARY]["events"][ce.href]
    assert ev["transactionId"] == ce.uid  # the booking's one UID identity
    assert ev["start"] == {"dateTime": "2026-03-03T10:00:00", "timeZone": "UTC"}
    assert ev["end"] == {"dateTime": "2026-03-03T10:30:00", "timeZone": "UTC"}
    assert ev["location"] == {"displayName": "https://meet.example.org/x"} and ev["showAs"] == "busy"
    assert "attendees" not in ev and "Bob Example <bob@example.org>" in ev["body"]["content"]

    sync_connection(connection=conn, now=now)
    assert blocks(conn) == []  # our own event: the booking blocks that time already

    moved = booking_reschedule(invitee=inv, new_start=utc(2026, 3, 4, 13), now=now)
    run_due(now)
    assert [p for p, _, _ in graph.api_calls("PATCH")] == [f"/v1.0/me/calendars/{PRIMARY}/events/{ce.href}"]
    ev = graph.calendars[PRIMARY]["events"][ce.href]
    assert ev["start"]["dateTime"] == "2026-03-04T13:00:00" and len(graph.calendars[PRIMARY]["events"]) == 1

    booking_cancel(booking=moved.booking, now=now)
    run_due(now)
    assert graph.calendars[PRIMARY]["events"] == {}
    assert [p for p, _, _ in graph.api_calls("DELETE")] == [f"/v1.0/me/calendars/{PRIMARY}/events/{ce.href}"]
    assert CalendarEvent.objects.count() == 0


def test_a_throttled_write_back_waits_for_retry_after_and_then_writes_once(setup, graph, now):
    host, et, conn = setup
    primary = conn.calendars.get(remote_id=PRIMARY)
    calendars_choose(connection=conn, conflicts={primary.pk}, writeback=primary.pk)
    graph.throttle = [(429, "90")]
    booking_create(
        event_type=et,
        start=utc(2026, 3, 3, 10),
        invitee=InviteeInput(name="Bob", email="bob@example.org", timezone="UTC"),
        now=now,
    )
    run_due(now, kinds=["calendars.writeback"])
    job = Job.objects.get(kind="calendars.writeback")
    assert job.status == "pending" and job.due_at == now + timedelta(seconds=90) and job.attempts == 0
    assert graph.calendars[PRIMARY]["events"] == {}
    run_due(now + timedelta(seconds=90), kinds=["calendars.writeback"])
    assert len(graph.calendars[PRIMARY]["events"]) == 1


def test_a_write_back_refused_for_a_revoked_token_shows_reconnect_at_once(setup, graph, now):
    host, et, conn = setup
    primary = conn.calendars.get(remote_id=PRIMARY)
    calendars_choose(connection=conn, conflicts={primary.pk}, writeback=primary.pk)
    graph.access.clear()
    graph.refresh.clear()
    booking_create(
        event_type=et,
        start=utc(2026, 3, 3, 10),
        invitee=InviteeInput(name="Bob", email="bob@example.org", timezone="UTC"),
        now=now,
    )
    run_due(now, kinds=["calendars.writeback"])
    conn.refresh_from_db()
    assert conn.needs_reconnect and "reconnect Outlook" in conn.last_error
    job = Job.objects.get(kind="calendars.writeback")
    assert job.status == "pending" and job.attempts == 1  # retried with backoff: a reconnect lets it through
