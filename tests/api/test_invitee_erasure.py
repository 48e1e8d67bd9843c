"""POST /data_compliance/deletion/invitees forgets a person everywhere: afterwards their name and address
are in no text column of any table (found by scanning every table, so a table added later cannot leak),
in no calendar copy on the hosts' or the team's calendar, and nothing queued is sent to them."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection, models

from slotwise.automation.services import RUN_JOB, rule_create
from slotwise.bookings.models import Booking, Invitee, SingleUseLink
from slotwise.bookings.services import invitee_cancel
from slotwise.calendars.models import CalendarEvent
from slotwise.calendars.services import connection_add_caldav
from slotwise.calendars.writeback import COPY_REWRITE_JOB, WRITE_JOB
from slotwise.contacts.models import FunnelEvent
from slotwise.contacts.services import funnel_record, funnel_submit
from slotwise.jobs.models import Job
from slotwise.jobs.services import run_due
from slotwise.notifications.models import Reminder, SentEmail
from slotwise.notifications.services import HOST_JOB, INVITEE_JOB, REMINDER_JOB
from slotwise.webhooks.models import WebhookDelivery
from slotwise.webhooks.services import subscription_create
from tests.api.conftest import BASE
from tests.calendars.conftest import Dav, radicale_server  # noqa: F401 - the real CalDAV server fixture

EMAIL = "zq-erasure@example.net"
NAME = "Zephyrine Quillfeather"
# What must be gone: the address, its local part (also found URL-encoded or in a mailto:), each name.
NEEDLES = [EMAIL, "zq-erasure", "Zephyrine", "Quillfeather"]
WORKER_KINDS = [INVITEE_JOB, HOST_JOB, REMINDER_JOB, WRITE_JOB, COPY_REWRITE_JOB, RUN_JOB]  # not webhooks


def _text_fields(model):
    return [
        f for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField, models.JSONField))
    ]


def orm_leaks() -> list[str]:
    """Every CharField (EmailField, SlugField, URLField ...), TextField and JSONField of every model,
    Django's own included (auth, sessions, admin log, contenttypes, task results)."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        for field in _text_fields(model):
            for needle in NEEDLES:
                if model._default_manager.filter(**{f"{field.name}__icontains": needle}).exists():
                    found.append(f"{model._meta.label}.{field.name} contains {needle!r}")
    return found


def raw_leaks() -> list[str]:
    """Every column of every table the database has, with or without a model, read as text; session
    data is decoded first (it is signed and base64-encoded)."""
    from django.contrib.sessions.backends.db import SessionStore

    found = []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview | bytes):
                        value = bytes(value).decode("utf-8", "replace")
                    text = str(value)
                    if table == "django_session" and column == "session_data":
                        text = str(SessionStore().decode(text))
                    for needle in NEEDLES:
                        if needle.lower() in text.lower():
                            found.append(f"{table}.{column} contains {needle!r}")
    assert "bookings_invitee" in tables and "django_session" in tables  # the scan saw the real schema
    return sorted(set(found))


@pytest.fixture
def calendars(world, radicale_server, now):  # noqa: F811
    """Alice writes her bookings back to her own CalDAV calendar; a rule copies them to a team calendar."""
    own, team = Dav(radicale_server), Dav(radicale_server)
    own_url, team_url = own.mkcalendar("work"), team.mkcalendar("support-team")
    mine = connection_add_caldav(membership=world.admin, url=own.base, username=own.user, password="pw", now=now)
    mine.calendars.update(is_writeback=True)
    shared = connection_add_caldav(membership=world.member, url=team.base, username=team.user, password="pw", now=now)
    rule_create(
        organization=world.a,
        name="Copy to team",
        trigger="booking.created",
        action="copy_to_calendar",
        params={"connection_id": shared.pk, "calendar": shared.calendars.get().remote_id},
    )
    return {"own": (own, own_url), "team": (team, team_url)}


def _book(world, start, key):
    body = {
        "event_type": f"{BASE}/event_types/{world.et.uuid}",
        "start_time": start,
        "invitee": {"name": NAME, "email": EMAIL, "timezone": "Europe/Paris"},
    }
    r = world.api.post("/invitees", body, headers={"Idempotency-Key": key})
    assert r.status_code == 201, r.content
    return Invitee.objects.get(uid=r.json()["resource"]["uri"].rsplit("/", 1)[-1])


def _a_person_with_a_history(world, calendars, now):
    """Everything a real invitee leaves behind: funnel steps before and after booking, an API booking with an
    idempotency key, sent emails, calendar copies, a webhook delivery, a reminder still to come, a
    cancellation in their own words, queued emails, an admin's edit in the log."""
    Reminder.objects.create(organization=world.a, name="Day before", offset_minutes=24 * 60)
    subscription_create(
        organization=world.a,
        creator=world.admin,
        url="http://127.0.0.1:9/hook",
        events=["invitee.created", "invitee.canceled"],
        scope="organization",
        now=now,
    )
    for step in ("calendar_1st_step", "calendar_2nd_step"):
        funnel_record(organization=world.a, visitor_id="vis-erasure-1", name=step, now=now)
    kept = _book(world, "2026-03-10T09:00:00Z", "book-1")
    funnel_submit(organization=world.a, visitor_id="vis-erasure-1", email=EMAIL, now=now, attributes={})
    canceled = _book(world, "2026-03-11T09:00:00Z", "book-2")
    run_due(now, kinds=WORKER_KINDS)
    invitee_cancel(invitee=canceled, now=now, reason=f"{NAME} cannot come, write to {EMAIL}")
    run_due(now, kinds=WORKER_KINDS)
    funnel_record(organization=world.a, visitor_id="vis-erasure-1", name="calendar_1st_step", now=now)
    queued = _book(world, "2026-03-12T09:00:00Z", "book-3")  # its emails are still queued at deletion
    # A single-use link made for them: every text field a link has (prefill name, email ...) names them.
    link = SingleUseLink.objects.create(event_type=world.et, created_by=world.admin)
    for field in SingleUseLink._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField) and field.name != "token":
            setattr(link, field.name, EMAIL if isinstance(field, models.EmailField) else f"for {NAME}")
    link.save()
    LogEntry.objects.create(
        user=world.admin.user,
        content_type=ContentType.objects.get_for_model(Invitee),
        object_id=str(kept.pk),
        object_repr=f"{NAME} <{EMAIL}>",
        action_flag=CHANGE,
        change_message=f"Changed email to {EMAIL}",
    )
    return kept, canceled, queued


def test_invitee_deletion_leaves_their_name_and_address_in_no_column_of_any_table(world, calendars, now):
    kept, canceled, queued = _a_person_with_a_history(world, calendars, now)
    world.api.post(
        "/invitees",
        {
            "event_type": f"{BASE}/event_types/{world.et.uuid}",
            "start_time": "2026-03-10T10:00:00Z",
            "invitee": {"name": "Other Person", "email": "other@example.org", "timezone": "UTC"},
        },
    )
    # The history is really there (so the scan below can fail), in the places the deletion once missed.
    leaks_before = raw_leaks()
    for where in (
        "jobs_job.payload",
        "bookings_booking.canceled_by",
        "bookings_booking.cancel_reason",
        "bookings_idempotencyrecord.response",
        "notifications_sentemail.to",
        "notifications_sentemail.subject",
        "webhooks_webhookdelivery.body",
        "django_admin_log.object_repr",
    ):
        assert any(line.startswith(where) for line in leaks_before), where
    own, own_url = calendars["own"]
    team, team_url = calendars["team"]
    assert any(EMAIL in text for text in own.objects(own_url).values())
    assert any(NAME in text for text in team.objects(team_url).values())
    bookings_before = Booking.objects.filter(organization=world.a).count()
    mail.outbox.clear()

    r = world.api.post("/data_compliance/deletion/invitees", {"emails": [EMAIL.upper()]})
    assert r.status_code == 202, r.content
    assert Job.objects.filter(kind__in=[WRITE_JOB, COPY_REWRITE_JOB], status="pending").exists()
    run_due(now + timedelta(days=30), kinds=WORKER_KINDS)  # calendar rewrites, and any reminder now due

    assert orm_leaks() == []
    assert raw_leaks() == []
    # Calendar copies: rewritten without them on both calendars, and removed for the canceled booking.
    for dav, url in (calendars["own"], calendars["team"]):
        texts = list(dav.objects(url).values())
        assert texts and not [n for n in NEEDLES for t in texts if n.lower() in t.lower()]
        assert not any("invalid.invalid" in t for t in texts)  # no placeholder attendee either
    assert not CalendarEvent.objects.filter(booking=canceled.booking, purpose="writeback").exists()
    # Nothing queued for them was sent, to a placeholder or to anyone (the other person's emails went out).
    sent = [(m.to, m.subject, m.body) for m in mail.outbox]
    assert sent and not [m for m in sent if "invalid.invalid" in str(m) or any(n in str(m) for n in NEEDLES)]
    assert set(Job.objects.filter(key=f"invitee:{queued.uid}").values_list("status", flat=True)) == {"canceled"}
    assert not SentEmail.objects.filter(to__icontains="invalid.invalid").exists()
    assert WebhookDelivery.objects.filter(status="pending").count() == 1  # only the other person's
    # Their anonymous funnel steps (tied by the visitor id) are gone too; bookings stay, anonymous.
    assert not FunnelEvent.objects.filter(visitor_id="vis-erasure-1").exists()
    assert Booking.objects.filter(organization=world.a).count() == bookings_before
    assert Invitee.objects.filter(email="other@example.org").exists()


def test_emails_enqueued_after_the_deletion_are_never_sent_to_the_placeholder(world, now):
    inv = _book(world, "2026-03-10T09:00:00Z", "late-1")
    run_due(now, kinds=WORKER_KINDS)
    world.api.post("/data_compliance/deletion/invitees", {"emails": [EMAIL]})
    mail.outbox.clear()
    inv.refresh_from_db()
    # The host cancels later: the cancel notice must not go to deleted-…@invalid.invalid (nor tell about them).
    from slotwise.bookings.services import booking_cancel

    booking_cancel(booking=inv.booking, now=now, reason="Host is ill", canceled_by="alice", canceler_type="host")
    run_due(now, kinds=WORKER_KINDS)
    assert [m.to for m in mail.outbox if any("invalid.invalid" in t for t in m.to)] == []


def test_deletion_is_scoped_to_the_organization(world, now):
    other = world.b_api.post(
        "/invitees",
        {
            "event_type": f"{BASE}/event_types/{world.b_et.uuid}",
            "start_time": "2026-03-10T09:00:00Z",
            "invitee": {"name": NAME, "email": EMAIL, "timezone": "UTC"},
        },
    )
    assert other.status_code == 201
    _book(world, "2026-03-10T09:00:00Z", "scoped-1")
    assert world.api.post("/data_compliance/deletion/invitees", {"emails": [EMAIL]}).status_code == 202
    assert Invitee.objects.filter(email=EMAIL, booking__organization=world.b).count() == 1
    assert not Invitee.objects.filter(email=EMAIL, booking__organization=world.a).exists()


def test_deletion_requires_at_least_one_address(world):
    assert world.api.post("/data_compliance/deletion/invitees", {"emails": []}).status_code == 400
