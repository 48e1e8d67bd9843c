"""Bad input gets a clear error and loses nothing (issue 9): malformed webhook bodies, bad signatures, a guest
without an email, a calendar that disappeared, a connection removed while a sync runs, Calendly failing mid-sync,
and the same event arriving twice or by both paths.

Webhooks here go through the real receiving view (/hooks/calendly/<hook_token>/) with Calendly's signature
header, made by the fake from the signing key our subscription gave it."""

import json
import time
from datetime import timedelta

import pytest

from slotwise.bookings.models import Booking, Invitee
from slotwise.contacts.models import Contact
from slotwise.imports import services
from slotwise.imports.models import Calendar, Connection, ImportedEvent, ImportedInvitee, SyncLogEntry, SyncRun
from tests.imports.calendly_fake import signature

pytestmark = pytest.mark.django_db


def rows():
    """Everything an import writes, counted: nothing may change on refused input."""
    return (
        Booking.objects.count(),
        Invitee.objects.count(),
        Contact.objects.count(),
        ImportedEvent.objects.count(),
        ImportedInvitee.objects.count(),
    )


def subscription(world, conn):
    """The fake's record of the webhook subscription our connection made (its URL and signing key)."""
    subs = [s for s in world.fake.store.webhooks.values() if f"/{conn.hook_token}/" in s["callback_url"]]
    assert len(subs) == 1, "selecting calendars subscribes to Calendly's webhooks once"
    return subs[0]


def post(client, conn, body: str | bytes, *, header: str | None):
    headers = {"Calendly-Webhook-Signature": header} if header is not None else {}
    return client.post(
        f"/hooks/calendly/{conn.hook_token}/", data=body, content_type="application/json", headers=headers
    )


def signed_post(client, world, conn, body: str, *, key: str | None = None, t: int | None = None):
    sub = subscription(world, conn)
    t = int(time.time()) if t is None else t
    return post(client, conn, body, header=signature(key or sub["_signing_key"], body, t))


@pytest.fixture
def booked(world):
    """Ana connected with Intro chosen; Calendly queued invitee.created for one booking (not yet delivered)."""
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    event, [invitee] = world.book("Intro")
    [delivery] = world.fake.outbox
    world.fake.outbox.clear()
    return conn, event, invitee, delivery


# ---- the receiving view ----------------------------------------------------------------------------------


def test_a_signed_webhook_imports_the_booking(client, world, booked):
    conn, event, _, delivery = booked
    r = signed_post(client, world, conn, delivery.body)
    assert r.status_code in (200, 202, 204)
    assert ImportedEvent.objects.get(event_uri=event["uri"]).booking.source == Booking.Source.IMPORT


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json",
        "{",
        "[]",
        "null",
        '"text"',
        '{"event": "invitee.created"}',
        '{"event": "invitee.created", "payload": []}',
        '{"event": "invitee.created", "payload": {"uri": 5}}',
        '{"event": "invitee.created", "payload": {"scheduled_event": "nope"}}',
    ],
)
def test_malformed_webhook_bodies_are_refused_with_a_clear_4xx_and_write_nothing(client, world, booked, body):
    conn = booked[0]
    before = rows()
    r = signed_post(client, world, conn, body)
    assert 400 <= r.status_code < 500, r.content
    assert r.content and b"Traceback" not in r.content
    assert rows() == before


def test_a_webhook_with_a_bad_signature_is_refused_and_writes_nothing(client, world, booked):
    conn, _, _, delivery = booked
    before = rows()
    now = int(time.time())
    key = subscription(world, conn)["_signing_key"]
    cases = {
        "no header": post(client, conn, delivery.body, header=None),
        "garbage header": post(client, conn, delivery.body, header="v1=abc"),
        "wrong key": signed_post(client, world, conn, delivery.body, key="not-the-key"),
        "stale (10 minutes old)": signed_post(client, world, conn, delivery.body, t=now - 600),
        "from the future": signed_post(client, world, conn, delivery.body, t=now + 600),
        "body changed after signing": post(
            client, conn, delivery.body.replace("Gil", "Eve"), header=signature(key, delivery.body, now)
        ),
    }
    assert {name: r.status_code for name, r in cases.items() if not 400 <= r.status_code < 500} == {}
    assert rows() == before
    # The genuine one still works afterwards.
    assert signed_post(client, world, conn, delivery.body).status_code < 300
    assert Booking.objects.filter(source=Booking.Source.IMPORT).count() == 1


def test_a_webhook_to_an_unknown_or_removed_connection_is_refused(client, world, booked):
    conn, _, _, delivery = booked
    r = client.post(
        "/hooks/calendly/no-such-token/",
        data=delivery.body,
        content_type="application/json",
        headers={"Calendly-Webhook-Signature": signature("x" * 16, delivery.body, int(time.time()))},
    )
    assert r.status_code == 404
    key = subscription(world, conn)["_signing_key"]
    services.connection_remove(connection=conn, delete_synced=False, now=world.now)
    before = rows()
    r = post(client, conn, delivery.body, header=signature(key, delivery.body, int(time.time())))
    assert 400 <= r.status_code < 500 and rows() == before


def test_the_same_event_by_webhook_twice_and_by_poll_is_one_appointment(client, world, booked):
    conn, event, _, delivery = booked
    for _ in range(2):
        assert signed_post(client, world, conn, delivery.body).status_code < 300
    world.poll(conn)
    world.poll(conn)
    assert Booking.objects.filter(source=Booking.Source.IMPORT).count() == 1
    assert Invitee.objects.count() == 1 and Contact.objects.filter(email="gil@example.com").count() == 1


# ---- guests, calendars, connections --------------------------------------------------------------------


def test_an_event_whose_only_guest_has_no_email_is_skipped_with_a_reason_not_half_written(world):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    event, _ = world.book("Intro", guests=[{"name": "Walk In", "email": None}])
    before = rows()
    world.poll(conn)
    world.deliver()
    assert (Booking.objects.count(), Invitee.objects.count(), Contact.objects.count()) == before[:3]
    skipped = SyncLogEntry.objects.filter(connection=conn, action=SyncLogEntry.Action.SKIPPED, event_uri=event["uri"])
    assert skipped.exists() and "email" in skipped.first().detail.lower()


def test_a_calendar_that_disappeared_is_marked_gone_and_keeps_what_it_synced(world):
    conn = world.connect("ana", select=("Intro", "Pairing"))
    world.tick(minutes=1)
    world.book("Intro")
    world.poll(conn)
    world.fake.remove_event_type(world.types["Intro"]["uri"])
    world.tick(minutes=1)
    world.book("Pairing")
    run = world.poll(conn)
    services.calendars_refresh(connection=conn, now=world.now)
    intro = Calendar.objects.get(connection=conn, uri=world.types["Intro"]["uri"])
    assert intro.gone_at is not None
    assert sorted(Booking.objects.filter(source=Booking.Source.IMPORT).values_list("event_type__name", flat=True)) == [
        "Intro",
        "Pairing",
    ]
    conn.refresh_from_db()
    assert conn.state == Connection.State.ACTIVE and run.finished_at is not None


def test_a_connection_removed_while_a_sync_runs_stops_it_without_half_written_rows(world):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    for _ in range(4):
        world.book("Intro")
    world.fake.outbox.clear()
    seen = []

    def progress(done, total):
        seen.append(done)
        if len(seen) == 2:
            services.connection_remove(
                connection=Connection.objects.get(pk=conn.pk), delete_synced=False, now=world.now
            )

    run = world.poll(conn, progress=progress)
    conn.refresh_from_db()
    assert conn.state == Connection.State.REMOVED
    n = Booking.objects.filter(source=Booking.Source.IMPORT).count()
    assert 0 < n < 4
    # Every appointment that exists is whole: its invitee, contact and record of where it came from.
    for b in Booking.objects.filter(source=Booking.Source.IMPORT):
        assert b.invitees.count() == 1 and ImportedEvent.objects.filter(booking=b).exists()
    assert Contact.objects.filter(email="gil@example.com").exists()
    assert SyncRun.objects.get(pk=run.pk).finished_at is not None


@pytest.mark.parametrize("status", [429, 500])
def test_calendly_failing_mid_sync_loses_and_duplicates_nothing_and_the_next_run_resumes(world, status):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    events = [world.book("Intro")[0]["uri"] for _ in range(3)]
    world.fake.outbox.clear()
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) == 1:
            world.fake.fail_next(50, status=status, retry_after=30)

    world.poll(conn, progress=progress)
    conn.refresh_from_db()
    assert conn.state == Connection.State.RETRYING and conn.retry_at is not None and conn.retry_at > world.now
    if status == 429:
        assert conn.retry_at >= world.now + timedelta(seconds=30)
    world.fake.failures.clear()
    world.tick(hours=1)
    world.poll(conn)
    conn.refresh_from_db()
    assert conn.state == Connection.State.ACTIVE
    got = sorted(ImportedEvent.objects.filter(booking__isnull=False).values_list("event_uri", flat=True))
    assert got == sorted(events)
    assert Booking.objects.filter(source=Booking.Source.IMPORT).count() == 3


def test_a_revoked_token_stops_the_connection_with_a_clear_state_and_writes_nothing(world):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    world.book("Intro")
    world.fake.revoke_user(world.users["ana"]["uri"])
    before = rows()
    run = world.poll(conn)
    conn.refresh_from_db()
    assert conn.state == Connection.State.AUTH_FAILED and conn.state_detail
    assert rows() == before and SyncRun.objects.get(pk=run.pk).finished_at is not None


def test_a_webhook_for_a_calendar_not_selected_or_booked_before_selection_is_ignored(world):
    conn = world.connect("ana", select=("Intro",))
    world.book("Intro", created_at=world.now - timedelta(minutes=1))
    world.tick(minutes=1)
    world.book("Pairing")
    body = json.loads(world.fake.envelope("invitee.created", list(world.fake.store.invitees.values())[0]))
    from slotwise.imports import sync

    sync.handle_webhook(connection=conn, payload=body, now=world.now)
    world.deliver()
    assert not Booking.objects.filter(source=Booking.Source.IMPORT).exists()
