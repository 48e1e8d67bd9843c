"""imports/sync.py against the Calendly fake over real HTTP on 127.0.0.1: which events are imported (both
edges of "imported from"), idempotency across webhook and poll, cancels and reschedules, owners, guests
without email, guard conflicts, Calendly failing mid-sync, a connection removed mid-sync, and deletion."""

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from slotwise.bookings.models import Booking, BookingHost, Invitee
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.contacts.models import Contact
from slotwise.core.secrets import seal
from slotwise.imports.calendly import CalendlyClient
from slotwise.imports.models import Calendar, Connection, ImportedEvent, SyncLogEntry, SyncRun
from slotwise.imports.selectors import deletion_notice
from slotwise.imports.sync import POLL_JOB, delete_synced, handle_webhook, run_poll, schedule_poll, sync_connection
from slotwise.jobs.models import Job
from tests import factories as f
from tests.imports.calendly_fake import FakeCalendly

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the fake's clock when the test starts; connections are made then
MEET = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def fake():
    with FakeCalendly(now=T0) as fk:
        yield fk


@pytest.fixture
def world(fake):
    org = f.org("northwind")
    calendly_org = fake.add_organization(plan="teams", stage="paid")
    people = {}
    for slug, role in (("ana", "owner"), ("bo", "user"), ("cy", "user")):
        user = fake.add_user(name=slug.title(), email=f"{slug}@calendly.test", organization=calendly_org, role=role)
        people[slug] = (f.host(org, slug, email=f"{slug}@northwind.test"), user)
    intro = fake.add_event_type(name="Intro", owner=people["ana"][1]["uri"])
    support = fake.add_event_type(
        name="Support",
        owner=people["ana"][1]["uri"],
        pooling_type="round_robin",
        hosts=[people[s][1]["uri"] for s in ("ana", "bo", "cy")],
    )
    return {"org": org, "calendly_org": calendly_org, "people": people, "intro": intro, "support": support}


def connect(fake, world, slug, *calendars, at=T0):
    member, user = world["people"][slug]
    conn = Connection.objects.create(
        organization=member.organization,
        membership=member,
        method=Connection.Method.TOKEN,
        api_base=fake.api_base,
        secret=seal({"access_token": fake.personal_access_token(user["uri"])}),
        account_user_uri=user["uri"],
        account_organization_uri=user["current_organization"],
        account_email=user["email"],
        account_name=user["name"],
        plan="teams",
        stage="paid",
        state=Connection.State.ACTIVE,
        connected_at=at,
    )
    # A webhook subscription at the fake, so that it queues deliveries (deliver() hands them over).
    CalendlyClient(conn, now=at).create_webhook(
        url=f"http://127.0.0.1:9/hooks/calendly/{conn.hook_token}/",
        events=["invitee.created", "invitee.canceled"],
        organization=user["current_organization"],
        user=user["uri"],
        scope="user",
        signing_key="k" * 32,
    )
    for et in calendars:
        Calendar.objects.create(
            connection=conn,
            uri=et["uri"],
            name=et["name"],
            pooling_type=et["pooling_type"] or "",
            kind=Calendar.Kind.SHARED if et["pooling_type"] else Calendar.Kind.PERSONAL,
            selected=True,
            consented_at=at,
            imported_from=at,
        )
    return conn


def guest(name="Zoe Quinn", email="zoe@example.com", **kw):
    return {"name": name, "email": email, "timezone": "Europe/Berlin", **kw}


def book(fake, et, start=MEET, guests=None, **kw):
    event, invitees = fake.book(event_type=et["uri"], start=start, invitees=guests or [guest()], **kw)
    return event, invitees


def deliver(fake, conn):
    """Hand every queued webhook to handle_webhook, as the receiving view does after verifying it."""
    batch, fake.outbox = fake.outbox, []
    for d in batch:
        handle_webhook(connection=conn, payload=json.loads(d.body), now=fake.now)


def synced_one(fake, world):
    """Ana connected her personal Intro calendar; one booking made on it since, and polled."""
    conn = connect(fake, world, "ana", world["intro"])
    fake.advance(minutes=1)
    book(fake, world["intro"])
    sync_connection(connection=conn, now=fake.now)
    return conn


def imported():
    return Booking.objects.filter(source=Booking.Source.IMPORT)


def test_only_events_created_at_or_after_imported_from_are_imported(fake, world):
    conn = connect(fake, world, "ana", world["intro"])
    fake.now = T0 - timedelta(microseconds=1)
    book(fake, world["intro"], MEET, [guest(email="before@example.com")])
    fake.now = T0
    book(fake, world["intro"], MEET + HOUR, [guest(email="at@example.com")])
    run = sync_connection(connection=conn, now=T0 + HOUR)
    assert [b.invitees.get().email for b in imported()] == ["at@example.com"]
    assert (run.total, run.done, run.trigger) == (1, 1, "first")


def test_first_sync_reports_progress_and_imports_every_event_once(fake, world):
    conn = connect(fake, world, "ana", world["intro"])
    fake.advance(minutes=1)
    for n in range(30):
        book(fake, world["intro"], MEET + n * HOUR, [guest(email=f"g{n}@example.com")])
    seen = []
    run = sync_connection(connection=conn, now=fake.now, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (1, 30) and seen[-1] == (30, 30)
    assert SyncRun.objects.get(pk=run.pk).done == 30
    assert imported().count() == 30 and Contact.objects.count() == 30
    again = sync_connection(connection=conn, now=fake.now + HOUR)
    assert (again.total, imported().count()) == (0, 30)
    assert SyncLogEntry.objects.filter(action="imported").count() == 30


def test_the_same_event_by_webhook_twice_and_by_poll_is_one_appointment(fake, world):
    conn = connect(fake, world, "ana", world["intro"])
    fake.advance(minutes=1)
    book(fake, world["intro"])
    envelope = json.loads(fake.envelope("invitee.created", next(iter(fake.store.invitees.values()))))
    handle_webhook(connection=conn, payload=envelope, now=fake.now)
    handle_webhook(connection=conn, payload=envelope, now=fake.now)
    sync_connection(connection=conn, now=fake.now)
    assert imported().count() == 1 and Invitee.objects.count() == 1
    assert ImportedEvent.objects.count() == 1


def test_an_event_on_an_unselected_calendar_or_by_another_scheduler_is_not_imported(fake, world):
    other = fake.add_event_type(name="Other", owner=world["people"]["ana"][1]["uri"])
    conn = connect(fake, world, "ana", world["intro"])
    fake.advance(minutes=1)
    book(fake, other)
    sync_connection(connection=conn, now=fake.now)
    assert not imported().exists()


def test_events_booked_while_deselected_never_arrive_after_reselecting(fake, world):
    conn = connect(fake, world, "ana", world["intro"])
    cal = conn.calendars.get()
    fake.advance(minutes=1)
    Calendar.objects.filter(pk=cal.pk).update(selected=False, deselected_at=fake.now)
    fake.advance(minutes=1)
    book(fake, world["intro"], MEET, [guest(email="while-off@example.com")])
    fake.advance(minutes=1)
    Calendar.objects.filter(pk=cal.pk).update(selected=True, imported_from=fake.now)  # reselected
    fake.advance(minutes=1)
    book(fake, world["intro"], MEET + HOUR, [guest(email="after@example.com")])
    sync_connection(connection=conn, now=fake.now)
    assert [b.invitees.get().email for b in imported()] == ["after@example.com"]


def test_a_cancel_in_calendly_follows_by_webhook_and_by_poll(fake, world):
    conn = connect(fake, world, "ana", world["intro"])
    fake.advance(minutes=1)
    by_hook, _ = book(fake, world["intro"], MEET, [guest(email="a@example.com")])
    by_poll, _ = book(fake, world["intro"], MEET + HOUR, [guest(email="b@example.com")])
    deliver(fake, conn)
    fake.advance(minutes=1)
    fake.cancel(by_hook["uri"], reason="Sick", canceler_type="invitee")
    deliver(fake, conn)
    fake.cancel(by_poll["uri"], reason="Busy")
    fake.outbox.clear()  # that webhook was lost: the poll finds it
    sync_connection(connection=conn, now=fake.now)
    rows = {b.invitees.get().email: b for b in imported()}
    assert {e: (b.status, b.cancel_reason) for e, b in rows.items()} == {
        "a@example.com": ("canceled", "Sick"),
        "b@example.com": ("canceled", "Busy"),
    }
    assert not BookingHost.objects.filter(active=True).exists()


@pytest.mark.parametrize("path", ["webhook", "poll"])
def test_a_reschedule_in_calendly_moves_the_appointment(fake, world, path):
    conn = connect(fake, world, "ana", world["intro"])
    fake.advance(minutes=1)
    _, (inv,) = book(fake, world["intro"])
    deliver(fake, conn)
    fake.advance(minutes=1)
    fake.reschedule(inv["uri"], start=MEET + timedelta(minutes=15))  # overlaps the old time
    if path == "webhook":
        deliver(fake, conn)
    else:
        fake.outbox.clear()
        sync_connection(connection=conn, now=fake.now)
    old, new = imported().order_by("pk")
    assert (old.status, new.status, new.start) == ("rescheduled", "confirmed", MEET + timedelta(minutes=15))
    assert new.rescheduled_from == old
    assert Contact.objects.get().owner == world["people"]["ana"][0]


def test_a_guest_without_an_email_is_skipped_with_a_log_entry_and_the_others_imported(fake, world):
    conn = connect(fake, world, "ana", world["intro"])
    fake.advance(minutes=1)
    fake.store.event_types[world["intro"]["uri"]]["kind"] = "group"
    book(fake, world["intro"], MEET, [guest(), guest(name="Walk In", email=None)])
    book(fake, world["intro"], MEET + HOUR, [guest(name="Nobody", email=None)])
    sync_connection(connection=conn, now=fake.now)
    sync_connection(connection=conn, now=fake.now + HOUR)
    assert [list(b.invitees.values_list("email", flat=True)) for b in imported()] == [["zoe@example.com"]]
    skipped = list(SyncLogEntry.objects.filter(action="skipped").values_list("detail", flat=True).order_by("id"))
    assert len(skipped) == 2  # once each, not again on the second poll
    assert skipped[0].startswith("skipped: Walk In (Intro at 2026-03-10 10:00 UTC) has no email address")


def test_a_guard_conflict_is_logged_as_skipped_and_retried_next_poll(fake, world):
    ana = world["people"]["ana"][0]
    native = booking_create(
        event_type=f.event_type(ana, name="Demo", duration_minutes=60),
        start=MEET,
        now=T0,
        invitee=InviteeInput(name="Kai", email="kai@example.com", timezone="UTC"),
    )
    conn = connect(fake, world, "ana", world["intro"])
    fake.advance(minutes=1)
    book(fake, world["intro"], MEET + timedelta(minutes=30))
    book(fake, world["intro"], MEET + 3 * HOUR, [guest(email="free@example.com")])  # after it in the same run
    sync_connection(connection=conn, now=fake.now)
    assert [b.invitees.get().email for b in imported()] == ["free@example.com"]
    entry = SyncLogEntry.objects.get(action="skipped")
    assert entry.detail == (
        f"skipped: overlaps Demo at 2026-03-10 10:00 UTC (booking {native.booking.uid}); trying again next poll"
    )
    from slotwise.bookings.services import booking_cancel

    booking_cancel(booking=native.booking, now=fake.now)
    sync_connection(connection=conn, now=fake.now + timedelta(minutes=5))
    assert imported().count() == 2


@pytest.mark.parametrize("status", [429, 500])
def test_calendly_failing_mid_sync_retries_with_backoff_and_loses_nothing(fake, world, status):
    conn = connect(fake, world, "ana", world["intro"])
    fake.advance(minutes=1)
    for n in range(4):
        book(fake, world["intro"], MEET + n * HOUR, [guest(email=f"g{n}@example.com")])
    # The plan check, the list and two events' invitees pass; the third event's invitees fail.
    real = fake.fail_next

    seen = []

    def fail_after_two(done, total):
        seen.append(done)
        if done == 2:
            real(1, status=status, retry_after=120)

    run = sync_connection(connection=conn, now=fake.now, progress=fail_after_two)
    conn.refresh_from_db()
    assert conn.state == Connection.State.RETRYING and conn.failures == 1
    assert conn.retry_at == fake.now + (timedelta(seconds=120) if status == 429 else timedelta(seconds=30))
    assert run.outcome.startswith("stopped after 2 of 4")
    assert imported().count() == 2
    sync_connection(connection=conn, now=fake.now + timedelta(minutes=3))
    conn.refresh_from_db()
    assert (conn.state, conn.failures, conn.retry_at) == (Connection.State.ACTIVE, 0, None)
    assert imported().count() == 4 and Invitee.objects.count() == 4


def test_a_revoked_token_sets_auth_failed(fake, world):
    conn = connect(fake, world, "ana", world["intro"])
    fake.revoke_user(world["people"]["ana"][1]["uri"])
    sync_connection(connection=conn, now=fake.now)
    conn.refresh_from_db()
    assert conn.state == Connection.State.AUTH_FAILED and "connect the Calendly account again" in conn.state_detail


def test_a_connection_removed_while_a_sync_runs_stops_it_cleanly(fake, world):
    conn = connect(fake, world, "ana", world["intro"])
    fake.advance(minutes=1)
    for n in range(5):
        book(fake, world["intro"], MEET + n * HOUR, [guest(email=f"g{n}@example.com")])

    def remove_at_two(done, total):
        if done == 2:
            Connection.objects.filter(pk=conn.pk).update(state=Connection.State.REMOVED, removed_at=fake.now)

    run = sync_connection(connection=conn, now=fake.now, progress=remove_at_two)
    assert run.outcome == "stopped after 2 of 5: the connection was removed"
    assert imported().count() == 2 and Invitee.objects.count() == 2 and Contact.objects.count() == 2
    assert Connection.objects.get(pk=conn.pk).state == Connection.State.REMOVED


def test_a_calendar_that_disappeared_in_calendly_does_not_break_the_sync(fake, world):
    conn = connect(fake, world, "ana", world["intro"])
    fake.advance(minutes=1)
    book(fake, world["intro"])
    fake.remove_event_type(world["intro"]["uri"])
    sync_connection(connection=conn, now=fake.now)
    assert imported().count() == 1 and Connection.objects.get(pk=conn.pk).state == Connection.State.ACTIVE


def test_a_free_plan_stops_the_sync_until_the_plan_changes(fake, world):
    conn = connect(fake, world, "ana", world["intro"])
    fake.advance(minutes=1)
    book(fake, world["intro"])
    fake.set_plan(world["calendly_org"], plan="basic", stage="free")
    sync_connection(connection=conn, now=fake.now)
    conn.refresh_from_db()
    assert (conn.state, conn.state_detail) == (Connection.State.STOPPED_FREE_PLAN, "stopped: the Calendly plan is free")
    assert not imported().exists()
    fake.set_plan(world["calendly_org"], plan="standard", stage="paid")
    sync_connection(connection=conn, now=fake.now + HOUR)
    conn.refresh_from_db()
    assert conn.state == Connection.State.ACTIVE and imported().count() == 1


# --- owners ------------------------------------------------------------------------------------------------


def test_a_personal_calendar_is_owned_by_the_member_who_connected_it(fake, world):
    synced_one(fake, world)
    ie = ImportedEvent.objects.get()
    assert (ie.booking.host, ie.owner_rule) == (world["people"]["ana"][0], "connected_user")


def test_a_shared_calendar_goes_to_the_calendly_assigned_host_when_connected_here(fake, world):
    ana = connect(fake, world, "ana", world["support"])
    connect(fake, world, "bo", world["support"])
    fake.advance(minutes=1)
    book(fake, world["support"], host=world["people"]["bo"][1]["uri"])
    sync_connection(connection=ana, now=fake.now)  # ana's (admin) poll sees it through the organization
    ie = ImportedEvent.objects.get()
    assert (ie.booking.host, ie.owner_rule) == (world["people"]["bo"][0], "assigned_host")
    assert Contact.objects.get().owner == world["people"]["bo"][0]


def test_a_shared_calendar_whose_assigned_host_is_not_connected_goes_to_a_connected_member_at_random(fake, world):
    ana = connect(fake, world, "ana", world["support"])
    connect(fake, world, "bo", world["support"])
    fake.advance(minutes=1)
    for n in range(6):
        book(
            fake,
            world["support"],
            MEET + n * HOUR,
            [guest(email=f"g{n}@example.com")],
            host=world["people"]["cy"][1]["uri"],
        )
    sync_connection(connection=ana, now=fake.now, rng=random.Random(7))
    owners = {ie.booking.host.slug for ie in ImportedEvent.objects.select_related("booking__host")}
    assert owners == {"ana", "bo"}  # cy has not connected: never cy
    assert set(ImportedEvent.objects.values_list("owner_rule", flat=True)) == {"random_member"}


# --- deletion ----------------------------------------------------------------------------------------------


def test_deleting_a_personal_calendars_events_is_permanent_and_they_never_come_back(fake, world):
    conn = synced_one(fake, world)
    cal = conn.calendars.get()
    Calendar.objects.filter(pk=cal.pk).update(selected=False, deselected_at=fake.now)
    cal.refresh_from_db()
    assert delete_synced(calendar=cal, now=fake.now) == 1
    assert not imported().exists() and Contact.objects.count() == 1
    Calendar.objects.filter(pk=cal.pk).update(selected=True, imported_from=T0)  # even with the old bound
    deliver(fake, conn)
    sync_connection(connection=conn, now=fake.now + HOUR)
    assert not imported().exists()
    assert ImportedEvent.objects.get().deleted_at == fake.now


def test_a_shared_calendars_events_are_deleted_only_when_every_connected_member_chose_to(fake, world):
    conns = [connect(fake, world, s, world["support"]) for s in ("ana", "bo", "cy")]
    fake.advance(minutes=1)
    book(fake, world["support"], host=world["people"]["bo"][1]["uri"])
    sync_connection(connection=conns[0], now=fake.now)
    booking = imported().get()
    client = Client()
    client.force_login(world["people"]["bo"][0].user)  # the owner: Calendly assigned bo
    for n, conn in enumerate(conns[:2], 1):
        cal = conn.calendars.get()
        Calendar.objects.filter(pk=cal.pk).update(selected=False)
        cal.refresh_from_db()
        assert delete_synced(calendar=cal, now=fake.now) == 0
        assert deletion_notice(booking) == f"{n} of 3 connected members chose to delete"
    assert (
        "2 of 3 connected members chose to delete" in client.get(f"/dashboard/bookings/{booking.uid}/").content.decode()
    )
    cal = conns[2].calendars.get()
    Calendar.objects.filter(pk=cal.pk).update(selected=False)
    cal.refresh_from_db()
    assert delete_synced(calendar=cal, now=fake.now) == 1
    assert not imported().exists()


# --- the poll job ------------------------------------------------------------------------------------------


def test_the_poll_job_syncs_and_queues_the_next_poll_in_five_minutes(fake, world):
    conn = connect(fake, world, "ana", world["intro"])
    fake.advance(minutes=1)
    book(fake, world["intro"])
    schedule_poll(conn, due_at=fake.now)
    job = Job.objects.get(kind=POLL_JOB)
    job.now = fake.now
    run_poll(job.payload, job)
    assert imported().count() == 1
    nxt = Job.objects.get(kind=POLL_JOB, status=Job.Status.PENDING)
    assert nxt.due_at == fake.now + timedelta(minutes=5)


def test_a_starting_worker_queues_a_poll_for_each_live_connection_without_one(fake, world):
    from slotwise.core.events import publish

    ana = connect(fake, world, "ana", world["intro"])
    bo = connect(fake, world, "bo")
    Connection.objects.filter(pk=bo.pk).update(state=Connection.State.REMOVED)
    publish("worker.started", now=fake.now)
    publish("worker.started", now=fake.now)
    assert list(Job.objects.filter(kind=POLL_JOB, status=Job.Status.PENDING).values_list("payload", flat=True)) == [
        {"connection_id": ana.pk}
    ]
