from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from slotwise.accounts.models import Organization
from slotwise.bookings.models import Booking, Invitee
from slotwise.scheduling.models import EventType


class Kind(models.TextChoices):
    INVITEE_CONFIRMED = "invitee_confirmed"
    INVITEE_RESCHEDULED = "invitee_rescheduled"
    INVITEE_CANCELED = "invitee_canceled"
    HOST_CONFIRMED = "host_confirmed"
    HOST_RESCHEDULED = "host_rescheduled"
    HOST_CANCELED = "host_canceled"
    REMINDER = "reminder"
    INVITEE_UPDATED = "invitee_updated"  # a tzdata change moved the wall time (bookings/tzdata.py)
    HOST_UPDATED = "host_updated"
    INVITEE_REQUESTED = "invitee_requested"  # waiting for the host's approval (bookings/approvals.py)
    HOST_REQUESTED = "host_requested"  # with the approve and decline links
    INVITEE_DECLINED = "invitee_declined"  # the host declined, or the request expired
    GUEST_INVITED = "guest_invited"  # a guest the invitee added, with their decline link
    GUEST_CANCELED = "guest_canceled"
    MEMBER_INVITED = "member_invited"  # an invitation to join the organization (accounts.Invitation)
    POOL_REQUESTED = "pool_requested"  # to admins: a member asks to host a team event
    POOL_DECIDED = "pool_decided"  # to the member: approved or declined


# Emails about the team, not about a booking (notifications/team.py): no booking preview or per-event wording.
TEAM_KINDS = (Kind.MEMBER_INVITED, Kind.POOL_REQUESTED, Kind.POOL_DECIDED)
BOOKING_KINDS = [k for k in Kind.values if k not in TEAM_KINDS]


class EmailTemplate(models.Model):
    """An organization's own wording for one email, optionally for one event type only. Subject, text and
    HTML are Django templates over the same context as the built-in ones (see notifications/render.py)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="email_templates")
    event_type = models.ForeignKey(
        EventType, null=True, blank=True, on_delete=models.CASCADE, related_name="email_templates"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    subject = models.CharField(max_length=300, blank=True, help_text="Blank: the built-in subject")
    text = models.TextField(blank=True, max_length=20000, help_text="Blank: the built-in text body")
    html = models.TextField(blank=True, max_length=50000, help_text="Blank: the built-in HTML body")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind"], condition=Q(event_type__isnull=True), name="email_template_org_kind"
            ),
            models.UniqueConstraint(
                fields=["organization", "event_type", "kind"],
                condition=Q(event_type__isnull=False),
                name="email_template_event_kind",
            ),
        ]


class Reminder(models.Model):
    """An email N minutes before a meeting starts, or after it ends (a follow-up), for every booking of the
    organization or of one event type."""

    class When(models.TextChoices):
        BEFORE_START = "before_start"
        AFTER_END = "after_end"

    class Recipient(models.TextChoices):
        INVITEE = "invitee"
        HOST = "host"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="reminders")
    event_type = models.ForeignKey(EventType, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    name = models.CharField(max_length=200, default="Reminder")
    offset_minutes = models.PositiveIntegerField(help_text="Minutes before the start / after the end")
    when = models.CharField(max_length=12, choices=When.choices, default=When.BEFORE_START)
    recipient = models.CharField(max_length=8, choices=Recipient.choices, default=Recipient.INVITEE)
    subject = models.CharField(max_length=300, blank=True, help_text="Blank: the built-in reminder subject")
    text = models.TextField(blank=True, max_length=20000, help_text="Blank: the built-in reminder body")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(offset_minutes__lte=60 * 24 * 60), name="reminder_offset_within_60_days")
        ]


class SentEmail(models.Model):
    """What left through SMTP, for support questions ("did they get the invitation?") and the dashboard."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    booking = models.ForeignKey(Booking, null=True, on_delete=models.SET_NULL, related_name="+")
    invitee = models.ForeignKey(Invitee, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    to = models.CharField(max_length=300)
    subject = models.CharField(max_length=300)
    method = models.CharField(max_length=10, blank=True)  # REQUEST | CANCEL | "" (no calendar part)
    ical_uid = models.CharField(max_length=200, blank=True)
    sequence = models.PositiveIntegerField(null=True)
    job_id = models.BigIntegerField(null=True)
    sent_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["organization", "sent_at"])]
