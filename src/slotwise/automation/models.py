from django.db import models
from django.utils.timezone import now

from slotwise.accounts.models import Organization
from slotwise.bookings.models import Booking


class Rule(models.Model):
    """When <trigger> happens to a booking that passes every filter, do <action> with <params>.

    filters: a list of {"field": ..., "op": "contains" | "equals", "value": ..., ["key": answer key]}, all of
    which must hold. Fields: "event_type" (the event type's name), "title" (the meeting title: "<event
    type> with <invitee>"), "host" (host slug or email), "team" (team slug), "answer" (the answer to question
    `key`), "invitee_email". Matching is case-insensitive."""

    class Trigger(models.TextChoices):
        CREATED = "booking.created"
        CANCELED = "booking.canceled"
        RESCHEDULED = "booking.rescheduled"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=200)
    trigger = models.CharField(max_length=24, choices=Trigger.choices, default=Trigger.CREATED)
    filters = models.JSONField(default=list, blank=True)
    action = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    undo_on_cancel = models.BooleanField(default=True, help_text="When the booking is canceled, undo what this did")
    created_at = models.DateTimeField(default=now)

    def __str__(self):
        return f"{self.name} ({self.trigger} -> {self.action})"


class RuleRun(models.Model):
    """One action taken (or to be taken) for one booking, and its undo: the log an admin reads."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"
        SKIPPED = "skipped"  # canceled before it ran: nothing to do, nothing to undo
        UNDOING = "undoing"
        UNDONE = "undone"
        UNDO_FAILED = "undo_failed"

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="runs")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="rule_runs")
    trigger = models.CharField(max_length=24)
    action = models.CharField(max_length=64)
    state = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=now)
    done_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["booking", "status"])]
        ordering = ["created_at", "pk"]
