import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from slotwise.accounts.models import Membership, Organization

EVENTS = (
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
    "event_type.created",
    "event_type.updated",
    "event_type.deleted",
    # Slotwise extra: a request that waited for the host's approval was approved (its invitee.created,
    # sent when it was requested, carried scheduled_event.slotwise_approval.status "pending").
    "invitee.approved",
)


def _signing_key() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    class Scope(models.TextChoices):
        ORGANIZATION = "organization"
        USER = "user"

    class State(models.TextChoices):
        ACTIVE = "active"
        DISABLED = "disabled"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    user = models.ForeignKey(
        Membership,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        help_text="User scope: only this host's events",
    )
    creator = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="+")
    scope = models.CharField(max_length=12, choices=Scope.choices)
    callback_url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    signing_key = models.CharField(max_length=200, default=_signing_key)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    retry_started_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="organization", user__isnull=True) | Q(scope="user", user__isnull=False),
                name="webhook_scope_matches_user",
            )
        ]

    def __str__(self):
        return f"{self.callback_url} ({self.scope}, {self.state})"


class WebhookDelivery(models.Model):
    """The outbox: one event for one subscription, written in the transaction that caused it. `body` is
    the exact bytes sent (the signature covers them), so retries send the same thing."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    sample = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["subscription", "created_at"])]


class WebhookAttempt(models.Model):
    """One POST to the callback URL and what came back (or the error)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
