"""Seed 001, sentence by sentence (docs/seed-001.md links each sentence to its test here or elsewhere).

A sub-account imports from a Calendly account (the fake, built from Calendly's documented shapes). Polls are
run by calling the sync with the test's clock; webhooks are handed to the sync as the receiving view would."""

import random
from datetime import timedelta

import pytest
from django.core import mail

from slotwise.accounts.models import Membership
from slotwise.bookings import services as bookings
from slotwise.bookings.models import Booking
from slotwise.contacts.models import Contact
from slotwise.core.errors import SlotwiseError
from slotwise.imports import services
from slotwise.imports.models import Calendar, Connection, ImportedEvent, SyncLogEntry
from slotwise.webhooks.models import WebhookDelivery, WebhookSubscription
from tests import factories

pytestmark = pytest.mark.django_db


def imported(**kw):
    return Booking.objects.filter(source=Booking.Source.IMPORT, **kw)


def log_of(conn, action=None):
    qs = SyncLogEntry.objects.filter(connection=conn)
    return [e.detail for e in (qs.filter(action=action) if action else qs)]


# ---- Overview and prerequisites ------------------------------------------------------------------------


def test_every_new_calendly_booking_becomes_an_appointment_at_its_instant(world):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    event, [invitee] = world.book("Intro")
    world.poll(conn)
    [b] = imported()
    assert (b.start.isoformat(), b.end.isoformat()) == (
        event["start_time"].replace(".000000Z", "+00:00"),
        event["end_time"].replace(".000000Z", "+00:00"),
    )
    assert b.status == Booking.Status.CONFIRMED and b.host == world.members["ana"]
    assert ImportedEvent.objects.get(event_uri=event["uri"]).booking == b


def test_imported_appointments_run_workflows_and_webhooks_but_send_no_invitation(world):
    """Contacts, CRM data and workflows act on imports; Calendly already sent the invitation."""
    sub = WebhookSubscription.objects.create(
        organization=world.org,
        creator=world.members["ana"],
        callback_url="http://127.0.0.1:9/hook",
        events=["invitee.created"],
        scope="organization",
        signing_key="k" * 16,
        created_at=world.now,
    )
    conn = world.connect("ana", select=("Intro",))
    mail.outbox.clear()
    world.tick(minutes=1)
    world.book("Intro")
    world.poll(conn)
    assert imported().count() == 1
    assert WebhookDelivery.objects.filter(subscription=sub, event="invitee.created").count() == 1
    assert [m for m in mail.outbox if "gil@example.com" in m.to] == []


def test_only_calendars_the_user_is_part_of_are_listed_and_fetched(world):
    conn = world.connect("ana")
    listed = set(Calendar.objects.filter(connection=conn, gone_at__isnull=True).values_list("name", flat=True))
    assert listed == {"Intro", "Support", "Pairing"}  # not Cy's hour
    kinds = dict(Calendar.objects.filter(connection=conn).values_list("name", "kind"))
    assert kinds == {"Intro": "personal", "Support": "shared", "Pairing": "shared"}


# ---- Getting started -------------------------------------------------------------------------------------


def test_connecting_lists_calendars_and_saving_a_choice_needs_consent(world):
    conn = world.connect("ana")
    assert conn.state == Connection.State.ACTIVE and conn.account_email == "ana@agency.test"
    with pytest.raises(SlotwiseError, match="(?i)consent"):
        services.calendars_select(connection=conn, uris=[world.types["Intro"]["uri"]], consent=False, now=world.now)
    assert not Calendar.objects.filter(connection=conn, selected=True).exists()
    services.calendars_select(connection=conn, uris=[world.types["Intro"]["uri"]], consent=True, now=world.now)
    cal = Calendar.objects.get(connection=conn, selected=True)
    assert (cal.name, cal.imported_from, cal.consented_at) == ("Intro", world.now, world.now)


def test_only_events_created_at_or_after_the_selection_are_imported(world):
    conn = world.connect("ana", select=("Intro",))
    selected_at = world.now
    before, _ = world.book("Intro", created_at=selected_at - timedelta(microseconds=1))
    at, _ = world.book("Intro", created_at=selected_at)
    world.tick(minutes=5)
    after, _ = world.book("Intro")
    world.poll(conn)
    got = set(ImportedEvent.objects.filter(booking__isnull=False).values_list("event_uri", flat=True))
    assert got == {at["uri"], after["uri"]}
    assert before["uri"] not in got


# ---- Calendly event sync -------------------------------------------------------------------------------


def test_events_sync_only_while_the_connection_is_active_and_the_calendar_selected(world):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    world.book("Support", host="ana")  # not selected
    world.book("Intro")
    world.poll(conn)
    assert list(imported().values_list("event_type__name", flat=True)) == ["Intro"]
    services.connection_remove(connection=conn, delete_synced=False, now=world.now)
    world.tick(minutes=1)
    world.book("Intro")
    world.poll(conn)
    world.deliver()
    assert imported().count() == 1


def test_a_deselected_calendar_syncs_no_more(world):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    world.book("Intro")
    world.poll(conn)
    services.calendar_deselect(connection=conn, uri=world.types["Intro"]["uri"], delete_synced=False, now=world.now)
    world.tick(minutes=1)
    world.book("Intro")
    world.poll(conn)
    world.deliver()
    assert imported().count() == 1  # the earlier one stays: "no" to deleting


def test_reselecting_imports_only_what_was_booked_after_it_never_what_was_booked_while_deselected(world):
    conn = world.connect("ana", select=("Intro",))
    services.calendar_deselect(connection=conn, uri=world.types["Intro"]["uri"], delete_synced=False, now=world.now)
    world.tick(minutes=1)
    while_off, _ = world.book("Intro")
    world.tick(minutes=1)
    world.select(conn, "Intro")
    world.tick(minutes=1)
    after, _ = world.book("Intro")
    world.poll(conn)
    world.deliver()
    got = set(ImportedEvent.objects.filter(booking__isnull=False).values_list("event_uri", flat=True))
    assert got == {after["uri"]}


# ---- Syncing process -----------------------------------------------------------------------------------


def test_sync_is_one_way_nothing_is_written_to_calendly(world):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    world.book("Intro")
    world.poll(conn)
    et = factories.event_type(world.members["ana"], slug="native", duration_minutes=30)
    bookings.booking_create(
        event_type=et,
        start=world.now.replace(hour=15, minute=0, second=0, microsecond=0) + timedelta(days=2),
        now=world.now,
        invitee=bookings.InviteeInput(name="Nat Ive", email="nat@example.com", timezone="UTC"),
    )
    world.poll(conn)
    writes = [(m, p) for m, p, _ in world.fake.requests if m != "GET"]
    # Subscribing to webhooks is the only write there is: no event, invitee or cancellation is sent.
    assert {p for _, p in writes} <= {"/webhook_subscriptions"}


def test_imported_appointments_cannot_be_changed_here(world):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    world.book("Intro")
    world.poll(conn)
    [b] = imported()
    invitee = b.invitees.get()
    with pytest.raises(SlotwiseError, match="comes from Calendly: change it there"):
        bookings.booking_cancel(booking=b, now=world.now, reason="no")
    with pytest.raises(SlotwiseError, match="comes from Calendly: change it there"):
        bookings.booking_reschedule(invitee=invitee, new_start=b.start + timedelta(days=1), now=world.now)
    b.refresh_from_db()
    assert b.status == Booking.Status.CONFIRMED


def test_cancels_and_reschedules_made_in_calendly_follow(world):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    event, [inv] = world.book("Intro")
    world.deliver()
    [b] = imported()
    world.tick(minutes=1)
    new_event, _ = world.fake.reschedule(inv["uri"], start=b.start + timedelta(days=2))
    world.deliver()
    live = imported(status=Booking.Status.CONFIRMED).get()
    assert live.start == b.start + timedelta(days=2)
    world.tick(minutes=1)
    world.fake.cancel(new_event["uri"], reason="Sick", canceler_type="invitee")
    world.deliver()
    world.poll(conn)
    assert not imported(status=Booking.Status.CONFIRMED).exists()
    assert ImportedEvent.objects.filter(booking__isnull=False).count() >= 1


# ---- Contact creation ----------------------------------------------------------------------------------


def test_an_imported_event_is_an_appointment_that_blocks_the_owners_time(world):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    world.book("Intro")
    world.poll(conn)
    [b] = imported()
    native = factories.event_type(world.members["ana"], slug="native", duration_minutes=30)
    with pytest.raises(SlotwiseError):
        bookings.booking_create(
            event_type=native,
            start=b.start,
            now=world.now,
            invitee=bookings.InviteeInput(name="Nat Ive", email="nat@example.com", timezone="UTC"),
        )


def test_each_guest_with_an_email_becomes_a_contact_and_one_without_is_logged(world):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    world.book(
        "Intro",
        guests=[
            {"name": "Gil Ortega", "email": "gil@example.com"},
            {"name": "Hal Ng", "email": "HAL@example.com"},
            {"name": "No Mail", "email": None},
        ],
    )
    Contact.objects.create(organization=world.org, email="hal@example.com", name="Hal")
    world.poll(conn)
    assert sorted(Contact.objects.filter(organization=world.org).values_list("email", flat=True)) == [
        "gil@example.com",
        "hal@example.com",
    ]
    assert any("No Mail" in d and "email" in d for d in log_of(conn, SyncLogEntry.Action.SKIPPED))


# ---- Appointment owner ---------------------------------------------------------------------------------


def test_a_personal_calendars_appointments_belong_to_the_user_who_connected_it(world):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    world.book("Intro")
    world.poll(conn)
    assert imported().get().host == world.members["ana"]
    assert ImportedEvent.objects.get().owner_rule == ImportedEvent.OwnerRule.CONNECTED_USER


def test_a_shared_calendar_goes_to_the_assigned_host_when_connected_else_to_a_connected_member_at_random(world):
    ana = world.connect("ana", select=("Support",))
    bo = world.connect("bo", select=("Support",))
    world.tick(minutes=1)
    for_bo, _ = world.book("Support", host="bo")
    for_cy, _ = world.book("Support", host="cy")  # Cy never connected: a connected member is chosen
    world.poll(ana, rng=random.Random(1))
    world.poll(bo, rng=random.Random(1))
    by_uri = {e.event_uri: e for e in ImportedEvent.objects.select_related("booking")}
    assert by_uri[for_bo["uri"]].booking.host == world.members["bo"]
    assert by_uri[for_bo["uri"]].owner_rule == ImportedEvent.OwnerRule.ASSIGNED_HOST
    assert by_uri[for_cy["uri"]].booking.host in (world.members["ana"], world.members["bo"])
    assert by_uri[for_cy["uri"]].owner_rule == ImportedEvent.OwnerRule.RANDOM_MEMBER
    assert imported().count() == 2  # both connected members see both events: one appointment each


# ---- Contact's assigned user ---------------------------------------------------------------------------


def test_the_contacts_assigned_user_is_the_owner_of_their_latest_appointment(world):
    ana = world.connect("ana", select=("Intro", "Support"))
    world.connect("bo", select=("Support",))
    world.tick(minutes=1)
    soon = world.now.replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)
    world.book("Intro", start=soon)
    world.poll(ana)
    contact = Contact.objects.get(email="gil@example.com")
    assert contact.owner == world.members["ana"]
    later, _ = world.book("Support", host="bo", start=soon + timedelta(days=3))
    world.deliver()
    world.poll(ana)
    contact.refresh_from_db()
    assert contact.owner == world.members["bo"]
    # A native booking in between does not change who is latest; one after does.
    native = factories.event_type(world.members["cy"], slug="native", duration_minutes=30)
    bookings.booking_create(
        event_type=native,
        start=soon + timedelta(days=1),
        now=world.now,
        invitee=bookings.InviteeInput(name="Gil Ortega", email="gil@example.com", timezone="UTC"),
    )
    contact.refresh_from_db()
    assert contact.owner == world.members["bo"]
    # Calendly cancels the latest: the owner falls back to the latest that is left (Cy's native one).
    world.fake.cancel(later["uri"], reason="Moved on")
    world.deliver()
    contact.refresh_from_db()
    assert contact.owner == world.members["cy"]


# ---- Editing selections ---------------------------------------------------------------------------------


def test_editing_the_selection_adds_and_removes_calendars(world):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    world.select(conn, "Pairing")
    world.tick(minutes=1)
    world.book("Pairing")
    world.book("Intro")
    world.poll(conn)
    assert sorted(imported().values_list("event_type__name", flat=True)) == ["Intro", "Pairing"]
    services.calendar_deselect(connection=conn, uri=world.types["Pairing"]["uri"], delete_synced=False, now=world.now)
    assert set(Calendar.objects.filter(connection=conn, selected=True).values_list("name", flat=True)) == {"Intro"}


# ---- Deletion ------------------------------------------------------------------------------------------


def test_deselecting_with_delete_removes_its_appointments_for_good(world):
    conn = world.connect("ana", select=("Intro", "Pairing"))
    world.tick(minutes=1)
    intro, _ = world.book("Intro")
    world.poll(conn)
    contact = Contact.objects.get(email="gil@example.com")
    services.calendar_deselect(connection=conn, uri=world.types["Intro"]["uri"], delete_synced=True, now=world.now)
    assert not imported().exists()
    assert ImportedEvent.objects.get(event_uri=intro["uri"]).deleted_at is not None
    assert Contact.objects.filter(pk=contact.pk).exists()  # contacts stay
    world.tick(minutes=1)
    world.select(conn, "Intro")
    world.poll(conn)
    world.deliver()
    assert not imported().exists()  # the deleted one never comes back
    assert any("deleted" in d.lower() or d for d in log_of(conn, SyncLogEntry.Action.DELETED))


def test_deselecting_without_delete_keeps_what_was_synced(world):
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    world.book("Intro")
    world.poll(conn)
    services.calendar_deselect(connection=conn, uri=world.types["Intro"]["uri"], delete_synced=False, now=world.now)
    assert imported(status=Booking.Status.CONFIRMED).count() == 1


def test_a_shared_calendars_appointments_go_only_when_every_connected_member_chose_delete(world, client):
    ana = world.connect("ana", select=("Pairing",))
    bo = world.connect("bo", select=("Pairing",))
    world.tick(minutes=1)
    world.book("Pairing")
    world.poll(ana)
    world.poll(bo)
    [b] = imported()
    services.calendar_deselect(connection=ana, uri=world.types["Pairing"]["uri"], delete_synced=True, now=world.now)
    assert imported().get() == b  # Bo has not chosen: it stays visible
    from slotwise.imports import selectors

    assert selectors.deletion_votes(world.types["Pairing"]["uri"], world.org.pk) == (1, 2)
    client.force_login(b.host.user)
    page = client.get(f"/dashboard/bookings/{b.uid}/").content.decode()
    assert "1 of 2 connected members chose to delete" in page
    assert "change it there" in page  # imported: edited in Calendly, not here
    services.calendar_deselect(connection=bo, uri=world.types["Pairing"]["uri"], delete_synced=True, now=world.now)
    assert not imported().exists()


def test_a_shared_appointment_stays_when_one_member_says_no(world):
    ana = world.connect("ana", select=("Pairing",))
    bo = world.connect("bo", select=("Pairing",))
    world.tick(minutes=1)
    world.book("Pairing")
    world.poll(ana)
    services.calendar_deselect(connection=bo, uri=world.types["Pairing"]["uri"], delete_synced=False, now=world.now)
    services.calendar_deselect(connection=ana, uri=world.types["Pairing"]["uri"], delete_synced=True, now=world.now)
    assert imported().count() == 1


def test_removing_the_connection_with_delete_removes_everything_it_synced_and_reconnecting_starts_afresh(world):
    conn = world.connect("ana", select=("Intro", "Pairing"))
    world.tick(minutes=1)
    world.book("Intro")
    world.book("Pairing")
    world.poll(conn)
    assert imported().count() == 2
    services.connection_remove(connection=conn, delete_synced=True, now=world.now)
    conn.refresh_from_db()
    assert conn.state == Connection.State.REMOVED and not imported().exists()
    world.tick(minutes=1)
    world.book("Intro")  # booked while disconnected
    world.tick(minutes=1)
    again = world.connect("ana", select=("Intro", "Pairing"))
    world.tick(minutes=1)
    new, _ = world.book("Intro")
    world.poll(again)
    assert list(ImportedEvent.objects.filter(booking__isnull=False).values_list("event_uri", flat=True)) == [new["uri"]]


# ---- Limitations ---------------------------------------------------------------------------------------


def test_one_calendly_account_per_user_per_sub_account_and_not_shared_across_users(world):
    first = world.connect("ana")
    # The same account again reconnects it (one connection); a second Calendly account is refused.
    assert world.connect("ana").pk == first.pk
    other_account = world.fake.add_user(name="Ana Ruiz", email="ana.private@calendly.test")
    with pytest.raises(SlotwiseError, match="(?i)already connected"):
        services.connection_add_token(
            membership=world.members["ana"],
            token=world.fake.personal_access_token(other_account["uri"]),
            api_base=world.fake.api_base,
            now=world.now,
        )
    assert Connection.objects.filter(membership=world.members["ana"], removed_at__isnull=True).count() == 1
    other = factories.org("sub-b", name="Sub B")
    bo_in_b = factories.host(other, "bo-b", email="bo2@agency.test")
    ana_in_b = Membership.objects.create(organization=other, user=world.members["ana"].user, slug="ana")
    # Bo, in Sub B, with Ana's Calendly account: refused.
    with pytest.raises(SlotwiseError, match="(?i)another user|different user|already connected"):
        services.connection_add_token(
            membership=bo_in_b,
            token=world.fake.personal_access_token(world.users["ana"]["uri"]),
            api_base=world.fake.api_base,
            now=world.now,
        )
    # Ana may connect the same account in Sub B too.
    conn = services.connection_add_token(
        membership=ana_in_b,
        token=world.fake.personal_access_token(world.users["ana"]["uri"]),
        api_base=world.fake.api_base,
        now=world.now,
    )
    assert conn.state == Connection.State.ACTIVE


def test_a_free_plan_is_refused_and_a_trial_works(world):
    world.fake.set_plan(world.corg, plan="basic", stage="free")
    with pytest.raises(SlotwiseError, match="(?i)free"):
        world.connect("ana")
    assert not Connection.objects.filter(state=Connection.State.ACTIVE).exists()
    world.fake.set_plan(world.corg, plan="teams", stage="trial")
    assert world.connect("ana").state == Connection.State.ACTIVE


def test_when_a_trial_ends_on_the_free_plan_sync_stops_until_the_plan_changes(world):
    world.fake.set_plan(world.corg, plan="teams", stage="trial")
    conn = world.connect("ana", select=("Intro",))
    world.fake.set_plan(world.corg, plan="basic", stage="free")
    world.tick(minutes=1)
    world.book("Intro")
    world.poll(conn)
    conn.refresh_from_db()
    assert conn.state == Connection.State.STOPPED_FREE_PLAN
    assert conn.state_detail == "stopped: the Calendly plan is free"
    assert not imported().exists()
    world.fake.set_plan(world.corg, plan="professional", stage="paid")
    world.tick(minutes=5)
    world.poll(conn)
    conn.refresh_from_db()
    assert conn.state == Connection.State.ACTIVE and imported().count() == 1


def test_phone_and_answers_are_kept_on_the_appointment_and_the_contact(world):
    """The seed syncs name and email only; we keep the questions and answers and the phone number too."""
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    world.book(
        "Intro",
        guests=[
            {
                "name": "Gil Ortega",
                "email": "gil@example.com",
                "text_reminder_number": "+1 555 0100",
                "questions_and_answers": [
                    {"question": "Phone", "answer": "+1 555 0100", "position": 0},
                    {"question": "Topic", "answer": "Pricing", "position": 1},
                ],
            }
        ],
    )
    world.poll(conn)
    invitee = imported().get().invitees.get()
    answers = [(a["question"], a["answer"]) for a in invitee.answers]
    assert answers[:2] == [("Phone", "+1 555 0100"), ("Topic", "Pricing")]
    contact = Contact.objects.get(email="gil@example.com")
    assert contact.name == "Gil Ortega" and contact.phone == "+1 555 0100"
    assert [(a["question"], a["answer"]) for a in contact.answers][:2] == answers[:2]


def test_a_phone_given_only_as_an_answer_to_a_phone_question_is_the_contacts_phone(world):
    """Calendly's phone custom questions come back as questions and answers, not as text_reminder_number."""
    conn = world.connect("ana", select=("Intro",))
    world.tick(minutes=1)
    world.book(
        "Intro",
        guests=[
            {
                "name": "Gil Ortega",
                "email": "gil@example.com",
                "questions_and_answers": [
                    {"question": "Phone", "answer": "+49 30 1234567", "position": 0},
                    {"question": "How many people?", "answer": "12", "position": 1},
                ],
            }
        ],
    )
    world.poll(conn)
    contact = Contact.objects.get(email="gil@example.com")
    assert contact.phone == "+49 30 1234567"
    assert [(a["question"], a["answer"]) for a in imported().get().invitees.get().answers] == [
        ("Phone", "+49 30 1234567"),
        ("How many people?", "12"),
    ]
