"""Reminders and follow-ups: scheduled as jobs at exact instants, moved or dropped with the booking."""

from datetime import UTC, datetime

import pytest

from slotwise.bookings.services import InviteeInput, booking_cancel, booking_create, booking_reschedule
from slotwise.jobs.models import Job
from slotwise.jobs.services import run_due
from slotwise.notifications.models import Reminder
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def et(db):
    org = f.org()
    host = f.host(org, "linus", email="linus@example.com")
    return f.event_type(host, name="Intro", duration_minutes=45)


def book(et, start, now, tz="Asia/Tokyo"):
    return booking_create(
        event_type=et, start=start, now=now, invitee=InviteeInput(name="Mei", email="mei@example.jp", timezone=tz)
    )


def reminder_jobs():
    return list(Job.objects.filter(kind="notify.reminder").order_by("due_at").values_list("status", "due_at"))


def subjects(inbox):
    return [str(m["Subject"]).strip() for m in inbox.messages]


def test_an_hour_before_and_a_day_after(et, smtp, now):
    Reminder.objects.create(organization=et.organization, offset_minutes=60)
    Reminder.objects.create(
        organization=et.organization,
        event_type=et,
        offset_minutes=24 * 60,
        when=Reminder.When.AFTER_END,
        subject="How was {{ event_name }}?",
        text="Hi {{ recipient_name }}, thanks for meeting {{ other_name }}.",
    )
    start = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    book(et, start, now)
    assert reminder_jobs() == [
        ("pending", datetime(2026, 3, 4, 8, 0, tzinfo=UTC)),
        ("pending", datetime(2026, 3, 5, 9, 45, tzinfo=UTC)),
    ]
    run_due(now)
    smtp.received.clear()

    assert run_due(datetime(2026, 3, 4, 7, 59, tzinfo=UTC)) == 0
    assert run_due(datetime(2026, 3, 4, 8, 0, tzinfo=UTC)) == 1
    (mail,) = smtp.messages
    assert str(mail["Subject"]).strip() == "Reminder: Intro with Linus on Wed, Mar 4, 2026, 6:00 PM (Asia/Tokyo)"
    assert (
        "When: Wednesday, March 4, 2026, 6:00 PM – 6:45 PM (Asia/Tokyo, GMT+09:00)"
        in mail.get_body(("plain",)).get_content()
    )

    assert run_due(datetime(2026, 3, 5, 9, 45, tzinfo=UTC)) == 1
    follow_up = smtp.messages[1]
    assert str(follow_up["Subject"]).strip() == "How was Intro?"
    assert follow_up.get_body(("plain",)).get_content().strip() == "Hi Mei, thanks for meeting Linus."


def test_cancel_drops_pending_reminders(et, smtp, now):
    Reminder.objects.create(organization=et.organization, offset_minutes=60)
    invitee = book(et, datetime(2026, 3, 4, 9, 0, tzinfo=UTC), now)
    booking_cancel(booking=invitee.booking, now=now)
    assert reminder_jobs() == [("canceled", datetime(2026, 3, 4, 8, 0, tzinfo=UTC))]
    run_due(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
    assert [s for s in subjects(smtp) if s.startswith("Reminder")] == []


def test_reschedule_moves_the_reminder(et, smtp, now):
    Reminder.objects.create(organization=et.organization, offset_minutes=30)
    invitee = book(et, datetime(2026, 3, 4, 9, 0, tzinfo=UTC), now)
    booking_reschedule(invitee=invitee, new_start=datetime(2026, 3, 6, 13, 0, tzinfo=UTC), now=now)
    assert reminder_jobs() == [
        ("canceled", datetime(2026, 3, 4, 8, 30, tzinfo=UTC)),
        ("pending", datetime(2026, 3, 6, 12, 30, tzinfo=UTC)),
    ]


def test_a_reminder_whose_moment_has_passed_is_not_sent_late(et, smtp, now):
    # Booked at 08:00 for 09:00 with a 2-hour reminder: it would have been due at 07:00.
    Reminder.objects.create(organization=et.organization, offset_minutes=120)
    book(et, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), now)
    assert reminder_jobs() == []


def test_reminders_of_another_event_type_or_switched_off_do_not_apply(et, smtp, now):
    other = f.event_type(et.owner, name="Other")
    Reminder.objects.create(organization=et.organization, event_type=other, offset_minutes=60)
    off = Reminder.objects.create(organization=et.organization, offset_minutes=10)
    book(et, datetime(2026, 3, 4, 9, 0, tzinfo=UTC), now)
    assert reminder_jobs() == [("pending", datetime(2026, 3, 4, 8, 50, tzinfo=UTC))]
    off.active = False
    off.save()
    run_due(now)
    smtp.received.clear()
    assert run_due(datetime(2026, 3, 4, 8, 50, tzinfo=UTC)) == 1
    assert smtp.messages == []


def test_a_reminder_to_the_host_is_in_the_hosts_zone(et, smtp, now):
    et.owner.user.timezone = "Europe/Helsinki"
    et.owner.user.save()
    Reminder.objects.create(organization=et.organization, offset_minutes=15, recipient=Reminder.Recipient.HOST)
    book(et, datetime(2026, 3, 4, 9, 0, tzinfo=UTC), now)
    run_due(now)
    smtp.received.clear()
    run_due(datetime(2026, 3, 4, 8, 45, tzinfo=UTC))
    (mail,) = smtp.messages
    assert "linus@example.com" in mail["To"]
    assert str(mail["Subject"]).strip() == "Reminder: Intro with Mei on Wed, Mar 4, 2026, 11:00 AM (Europe/Helsinki)"
    assert "Cancel:" not in mail.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"offset_minutes": 0}, "Send it between 1 minute and 60 days before the start or after the end"),
        ({"offset_minutes": 86401}, "Send it between 1 minute and 60 days"),
        ({"offset_minutes": True}, "Send it between 1 minute and 60 days"),
        ({"offset_minutes": 10, "when": "during"}, "Choose whether it goes before the meeting starts or after it ends"),
        ({"offset_minutes": 10, "recipient": "everyone"}, "Choose who gets it"),
        ({"offset_minutes": 10, "subject": "{% if %}"}, "The subject has a template error"),
    ],
)
def test_reminders_are_validated_with_messages_that_say_what_to_fix(et, kw, message):
    from slotwise.core.errors import InvalidInput
    from slotwise.notifications.services import reminder_create

    with pytest.raises(InvalidInput, match=message):
        reminder_create(organization=et.organization, **kw)
    assert Reminder.objects.count() == 0


def test_reminder_create_for_another_organizations_event_type_is_refused(et):
    from slotwise.core.errors import InvalidInput
    from slotwise.notifications.services import reminder_create

    with pytest.raises(InvalidInput, match="That event type belongs to another organization"):
        reminder_create(organization=f.org(), offset_minutes=10, event_type=et)
