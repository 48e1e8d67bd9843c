from django.db import models
from django.utils.timezone import now

from slotwise.accounts.models import Membership, Organization


class Contact(models.Model):
    """Everyone who ever booked, once per organization and email.

    `owner` (the contact's assigned user) is the host of their latest appointment: the one with the latest
    start among their live (confirmed, not canceled or rescheduled away) appointments, native and imported
    alike; when none is live, the latest start of any of them; with no appointment left (all deleted) it stays
    as it was. Recomputed on every create, cancel, reschedule and delete (bookings.services.contact_refresh)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contacts")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    phone = models.CharField(max_length=64, blank=True, help_text="The latest phone number a booking gave")
    answers = models.JSONField(default=list, blank=True, help_text="Their latest booking's questions and answers")
    owner = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    bookings_count = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField(default=now)
    last_booked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "email"], name="contact_unique_email")]

    def __str__(self):
        return self.email


class FunnelEvent(models.Model):
    """One step of the booking funnel on a visitor's timeline (calendar_1st_step .. calendar_4th_step_submit).
    Recorded against an anonymous visitor id, attached to the contact when the visitor books."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    visitor_id = models.CharField(max_length=64, db_index=True)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="timeline")
    name = models.CharField(max_length=40)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["created_at", "id"]
