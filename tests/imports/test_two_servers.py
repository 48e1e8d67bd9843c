"""End to end with two Slotwise servers on 127.0.0.1 (issue 9, seed 001).

Server 1 (a `slotwise serve` and `slotwise worker` in processes of their own, over their own database) plays
Calendly: the import knows only Calendly's v2 dialect, and connects to server 1's /api/v2 with a personal access
token created there. Server 2 is this test process's live server: it imports, and receives server 1's webhooks
over real HTTP. Booking, canceling and rescheduling happen on server 1 (its API and its reschedule page); the
appointments, contacts and owners must appear on server 2.

Server 1 starts once for the module. Polls are run by calling the sync directly (no waiting for a schedule);
only webhook arrival, which crosses processes, is waited for."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from slotwise.bookings.models import Booking
from slotwise.contacts.models import Contact
from slotwise.core.clock import utc_now
from slotwise.core.secrets import seal
from slotwise.imports import services
from slotwise.imports.calendly import CalendlyClient
from slotwise.imports.models import Calendar, Connection, ImportedEvent
from tests import factories
from tests.imports.calendly_server import CalendlyPlayingSlotwise

ALL_DAY = {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
ORGFILE = {
    "organization": {"slug": "calendly-co", "name": "Calendly Co", "timezone": "UTC"},
    "hosts": [
        {
            "email": "ana@calendly.test",
            "name": "Ana Ruiz",
            "slug": "ana",
            "role": "owner",
            "timezone": "UTC",
            "weekly": ALL_DAY,
        },
        {"email": "bo@calendly.test", "name": "Bo Lind", "slug": "bo", "timezone": "UTC", "weekly": ALL_DAY},
        {"email": "cy@calendly.test", "name": "Cy Moss", "slug": "cy", "timezone": "UTC", "weekly": ALL_DAY},
    ],
    "teams": [
        {
            "slug": "support",
            "name": "Support",
            "timezone": "UTC",
            "members": ["ana@calendly.test", "bo@calendly.test", "cy@calendly.test"],
        }
    ],
    "event_types": [
        {
            "slug": "intro",
            "name": "Intro call",
            "host": "ana@calendly.test",
            "kind": "one_on_one",
            "duration": 30,
            "increment": 30,
            "min_notice": 0,
            "window": {"rolling_days": 30},
            "questions": [
                {"key": "phone", "label": "Phone", "type": "phone"},
                {"key": "topic", "label": "What about?", "type": "text"},
            ],
        },
        {
            "slug": "support-call",
            "name": "Support call",
            "team": "support",
            "kind": "round_robin",
            "duration": 30,
            "increment": 30,
            "min_notice": 0,
            "window": {"rolling_days": 30},
        },
    ],
}


@pytest.fixture(scope="module")
def server_one(tmp_path_factory):
    server = CalendlyPlayingSlotwise(tmp_path_factory.mktemp("calendly-server"), ORGFILE).start()
    yield server
    server.stop()


def eventually(check, *, timeout: float = 30.0):
    """For what crosses processes (server 1's worker delivering a webhook): check until true."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {check.__doc__ or check}")
        time.sleep(0.05)


def utc_iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_server_one_speaks_the_calendly_the_import_reads(server_one, db):
    """The import's own Calendly client, pointed at server 1, reads everything it needs there."""
    ana_email = "ana@calendly.test"

    def client(email):
        conn = Connection(
            api_base=server_one.api_base,
            method=Connection.Method.TOKEN,
            secret=seal({"access_token": server_one.tokens[email]}),
        )
        return CalendlyClient(conn, now=utc_now())

    ana, bo = client(ana_email).me(), client("bo@calendly.test").me()
    org = client(ana_email).organization(ana["current_organization"])
    assert (org["plan"], org["stage"]) == ("enterprise", "paid")
    [membership] = client(ana_email).organization_memberships(organization=org["uri"], user=ana["uri"])
    assert membership["role"] == "owner"
    assert [(t["slug"], t["pooling_type"]) for t in client("bo@calendly.test").event_types(user=bo["uri"])] == [
        ("support-call", "round_robin")
    ]
    assert {t["slug"] for t in client(ana_email).event_types(organization=org["uri"])} == {"intro", "support-call"}

    intro = server_one.event_type("intro", as_=ana_email)
    start = server_one.free_start(intro["uri"], as_=ana_email, after=utc_iso(datetime.now(UTC) + timedelta(days=1)))
    invitee = server_one.book(
        intro["uri"],
        start=start,
        name="Dee Park",
        email="dee@example.com",
        as_=ana_email,
        answers=[{"question": "Phone", "answer": "+49 30 1234567"}],
    )
    since = datetime.fromisoformat(start.replace("Z", "+00:00"))
    listed = list(client(ana_email).scheduled_events(user=ana["uri"], min_start_time=since, status="active"))
    event = next(e for e in listed if e["uri"] == invitee["event"])
    assert event == client(ana_email).scheduled_event(invitee["event"])
    assert event["event_memberships"][0]["user"] == ana["uri"] and event["created_at"].endswith("Z")
    assert (
        list(client(ana_email).scheduled_events(organization=org["uri"], min_start_time=since + timedelta(days=30)))
        == []
    )
    [got] = client(ana_email).invitees(invitee["event"])
    assert (got["email"], got["questions_and_answers"][0]["answer"]) == ("dee@example.com", "+49 30 1234567")


def _connect(server_one, member, email: str, slugs: tuple[str, ...]) -> Connection:
    """What the member does on server 2: add a Calendly connection with a personal access token made on
    server 1, pointed at server 1's API, and choose calendars with consent (which subscribes to webhooks)."""
    conn = services.connection_add_token(
        membership=member, token=server_one.tokens[email], api_base=server_one.api_base, now=utc_now()
    )
    services.calendars_refresh(connection=conn, now=utc_now())
    uris = [server_one.event_type(slug, as_=email)["uri"] for slug in slugs]
    services.calendars_select(connection=conn, uris=uris, consent=True, now=utc_now())
    conn.refresh_from_db()
    return conn


@pytest.fixture
def server_two(live_server, settings, transactional_db):
    """Server 2: this process's live server, with a sub-account where Ana and Bo (not Cy) are members."""
    settings.BASE_URL = live_server.url
    org = factories.org("agency-client", name="Agency client")
    ana = factories.host(org, "ana", email="ana@calendly.test")
    bo = factories.host(org, "bo", email="bo@calendly.test")
    return {"org": org, "ana": ana, "bo": bo}


def test_bookings_on_server_one_appear_on_server_two_with_contacts_and_owners(server_one, server_two):
    ana_email, bo_email = "ana@calendly.test", "bo@calendly.test"
    before, _ = _booked_before_connecting(server_one)
    ana = _connect(server_one, server_two["ana"], ana_email, ("intro", "support-call"))
    bo = _connect(server_one, server_two["bo"], bo_email, ("support-call",))
    assert ana.webhooks_active and bo.webhooks_active, (ana.state_detail, bo.state_detail)
    # On server 1, as on Calendly: Ana (an owner there) subscribed for the organization, Bo for himself.
    org_uri = server_one.me(ana_email)["current_organization"]
    for email, conn, scope in ((ana_email, ana, "organization"), (bo_email, bo, "user")):
        subs = server_one.api(
            "GET", "/webhook_subscriptions", as_=email, params={"organization": org_uri, "scope": scope}
        ).json()["collection"]
        assert [s["events"] for s in subs if f"/hooks/calendly/{conn.hook_token}/" in s["callback_url"]] == [
            ["invitee.created", "invitee.canceled"]
        ]
    assert set(Calendar.objects.filter(connection=ana, selected=True).values_list("kind", flat=True)) == {
        "personal",
        "shared",
    }

    # Booked on server 1 through its API; server 1's worker sends the signed webhook; server 2 imports it.
    intro = server_one.event_type("intro", as_=ana_email)
    later = utc_iso(datetime.now(UTC) + timedelta(days=2))
    dee = server_one.book(
        intro["uri"],
        start=server_one.free_start(intro["uri"], as_=ana_email, after=later),
        name="Dee Park",
        email="dee@example.com",
        as_=ana_email,
        answers=[{"question": "Phone", "answer": "+49 30 1234567"}],
    )

    def intro_arrived():
        """Dee's intro imported on server 2"""
        return ImportedEvent.objects.filter(event_uri=dee["event"], booking__isnull=False).first()

    imported = eventually(intro_arrived)
    booking = Booking.objects.get(pk=imported.booking_id)
    assert booking.source == Booking.Source.IMPORT and booking.host == server_two["ana"]
    assert booking.start == datetime.fromisoformat(
        _event(server_one, dee, ana_email)["start_time"].replace("Z", "+00:00")
    )
    contact = Contact.objects.get(organization=server_two["org"], email="dee@example.com")
    assert (contact.name, contact.owner, contact.phone) == ("Dee Park", server_two["ana"], "+49 30 1234567")

    # Round robin on server 1 picks the host; the owner on server 2 is that host when connected here (Ana, Bo),
    # else a connected member (Cy is not a member of server 2's sub-account).
    support = server_one.event_type("support-call", as_=ana_email)
    guests = []
    for n in range(3):
        start = server_one.free_start(
            support["uri"], as_=ana_email, after=utc_iso(datetime.now(UTC) + timedelta(days=3 + n))
        )
        guests.append(
            server_one.book(
                support["uri"], start=start, name=f"Guest {n}", email=f"guest{n}@example.com", as_=ana_email
            )
        )

    def all_support_arrived():
        """the three support calls imported on server 2"""
        return (
            ImportedEvent.objects.filter(event_uri__in=[g["event"] for g in guests], booking__isnull=False).count() == 3
        )

    eventually(all_support_arrived)
    members = {m.user.email: m for m in (server_two["ana"], server_two["bo"])}
    for g in guests:
        event = _event(server_one, g, ana_email)
        assigned = event["event_memberships"][0]["user_email"]
        row = ImportedEvent.objects.select_related("booking__host__user").get(event_uri=g["event"])
        if assigned in members:
            assert (row.booking.host, row.owner_rule) == (members[assigned], ImportedEvent.OwnerRule.ASSIGNED_HOST)
        else:
            assert row.booking.host in members.values() and row.owner_rule == ImportedEvent.OwnerRule.RANDOM_MEMBER
        assert Contact.objects.get(organization=server_two["org"], email=g["email"]).owner == row.booking.host

    # Cancel on server 1: canceled on server 2.
    server_one.cancel(dee["event"], as_=ana_email, reason="Double booked")

    def canceled():
        """Dee's intro canceled on server 2"""
        return Booking.objects.get(pk=imported.booking_id).status != Booking.Status.CONFIRMED

    eventually(canceled)

    # Reschedule on server 1 (the invitee's reschedule link): moved on server 2.
    moved = guests[0]
    new_start = server_one.free_start(
        support["uri"], as_=ana_email, after=utc_iso(datetime.now(UTC) + timedelta(days=9))
    )
    server_one.reschedule(moved, start=new_start)
    want = datetime.fromisoformat(new_start.replace("Z", "+00:00"))

    def rescheduled():
        """guest 0's support call at its new time on server 2"""
        return Booking.objects.filter(
            organization=server_two["org"],
            source=Booking.Source.IMPORT,
            start=want,
            status=Booking.Status.CONFIRMED,
            invitees__email=moved["email"],
        ).exists()

    eventually(rescheduled)

    # A poll after all that (both connections) changes nothing: one appointment per event, nothing from before.
    live_before = sorted(Booking.objects.filter(organization=server_two["org"]).values_list("pk", "status", "start"))
    for conn in (ana, bo):
        conn.refresh_from_db()
        from slotwise.imports import sync

        sync.sync_connection(connection=conn, now=utc_now())
    assert (
        sorted(Booking.objects.filter(organization=server_two["org"]).values_list("pk", "status", "start"))
        == live_before
    )
    assert not ImportedEvent.objects.filter(event_uri=before).exists()


def _booked_before_connecting(server_one):
    """A booking made on server 1 before anyone connected: never imported."""
    intro = server_one.event_type("intro", as_="ana@calendly.test")
    start = server_one.free_start(
        intro["uri"], as_="ana@calendly.test", after=utc_iso(datetime.now(UTC) + timedelta(days=1)), skip=3
    )
    invitee = server_one.book(
        intro["uri"], start=start, name="Early Bird", email="early@example.com", as_="ana@calendly.test"
    )
    return invitee["event"], invitee


def _event(server_one, invitee: dict, as_: str) -> dict:
    return server_one.api("GET", invitee["event"], as_=as_).json()["resource"]
