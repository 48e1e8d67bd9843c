"""Connections to an external scheduler's account, the calendars chosen from it, and what was imported.

Writes go through imports/services.py (connecting, choosing calendars, removing) and imports/sync.py
(polling and webhooks turning remote events into appointments). Secrets are sealed with Fernet."""

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from slotwise.accounts.models import Membership, Organization
from slotwise.bookings.models import Booking, Invitee
from slotwise.scheduling.models import EventType


def _hook_token() -> str:
    return secrets.token_urlsafe(24)


class Connection(models.Model):
    """One user's Calendly account, connected in one sub-account.

    Rules (enforced in services.connection_add, under a lock): one Calendly account per user per sub-account;
    the same Calendly account (account_user_uri) may not be connected by a different user in any other
    sub-account, while the same user may connect it in several. A removed connection keeps its row (state
    REMOVED) so that its calendars' deletion choices and "imported from" instants stay on record."""

    class Provider(models.TextChoices):
        CALENDLY = "calendly"

    class Method(models.TextChoices):
        OAUTH = "oauth"  # authorization code with PKCE; refresh tokens rotated
        TOKEN = "token"  # noqa: S105 - a choice: the connection uses a personal access token

    class State(models.TextChoices):
        PENDING = "pending"  # OAuth started, not finished
        ACTIVE = "active"
        RETRYING = "retrying"  # 429 / 5xx / network: retry at retry_at with backoff
        AUTH_FAILED = "auth_failed"  # revoked token or 401 that a refresh did not cure: reconnect
        STOPPED_FREE_PLAN = "stopped_free_plan"  # "stopped: the Calendly plan is free"; each poll re-checks
        REMOVED = "removed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="import_connections")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="import_connections")
    provider = models.CharField(max_length=16, choices=Provider.choices, default=Provider.CALENDLY)
    method = models.CharField(max_length=8, choices=Method.choices)
    api_base = models.URLField(max_length=500, default="https://api.calendly.com")
    auth_base = models.URLField(max_length=500, default="https://auth.calendly.com")
    # Sealed JSON: {"access_token", "refresh_token", "expires_at"} (OAuth) or {"access_token"} (PAT);
    # while PENDING: {"code_verifier", "state"}.
    secret = models.TextField(blank=True)
    account_user_uri = models.CharField(max_length=500, blank=True, db_index=True)
    account_organization_uri = models.CharField(max_length=500, blank=True)
    account_name = models.CharField(max_length=200, blank=True)
    account_email = models.EmailField(blank=True)
    plan = models.CharField(max_length=20, blank=True)  # Calendly organization.plan
    stage = models.CharField(max_length=20, blank=True)  # Calendly organization.stage: trial | free | paid
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    state_detail = models.CharField(max_length=500, blank=True, help_text="What the state means, for people")
    failures = models.PositiveIntegerField(default=0, help_text="Consecutive failed calls")
    retry_at = models.DateTimeField(null=True, blank=True)
    # Webhooks: the subscription we created at Calendly, the key it signs with, and the path token of our
    # receiving URL (/hooks/calendly/<hook_token>/).
    webhook_subscription_uri = models.CharField(max_length=500, blank=True)
    webhook_signing_key = models.TextField(blank=True, help_text="Sealed")
    hook_token = models.CharField(max_length=64, unique=True, default=_hook_token)
    webhooks_active = models.BooleanField(default=False, help_text="False: polling only")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "membership", "provider"],
                condition=Q(removed_at__isnull=True),
                name="import_connection_one_per_user",
            ),
        ]

    def __str__(self):
        return f"{self.provider}:{self.account_email or self.account_user_uri} ({self.membership})"


class Calendar(models.Model):
    """A calendar of the connected account: one Calendly event type the user hosts or is a pool member of.

    Only events created at or after `imported_from` are imported; it is set each time the calendar is
    (re)selected, so events booked while it was deselected or disconnected never arrive later."""

    class Kind(models.TextChoices):
        PERSONAL = "personal"  # Calendly event type kind "solo", owned by the user
        SHARED = "shared"  # round robin / collective / group with more than one host

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="calendars")
    uri = models.CharField(max_length=500)  # Calendly event type URI
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    pooling_type = models.CharField(max_length=20, blank=True)  # round_robin | collective | multi_pool
    scheduling_url = models.URLField(max_length=500, blank=True)
    selected = models.BooleanField(default=False)
    consented_at = models.DateTimeField(null=True, blank=True)
    imported_from = models.DateTimeField(null=True, blank=True)
    deselected_at = models.DateTimeField(null=True, blank=True)
    # This member chose "delete everything it synced" (a vote, for a shared calendar; see sync.py).
    delete_chosen_at = models.DateTimeField(null=True, blank=True)
    gone_at = models.DateTimeField(null=True, blank=True, help_text="No longer listed by Calendly")
    # The local, never-bookable event type the appointments of this calendar and owner hang off.
    local_event_type = models.ForeignKey(EventType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "uri"], name="import_calendar_unique")]

    def __str__(self):
        return self.name


class ImportedEvent(models.Model):
    """A remote scheduled event and the appointment it became. Never deleted: after a permanent deletion
    `booking` is null and `deleted_at` set, which keeps it from being imported again."""

    class OwnerRule(models.TextChoices):
        CONNECTED_USER = "connected_user"  # personal calendar: the user who connected it
        ASSIGNED_HOST = "assigned_host"  # shared: the Calendly-assigned host, connected in this sub-account
        RANDOM_MEMBER = "random_member"  # shared: no assigned host connected here; a connected member at random

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    event_uri = models.CharField(max_length=500)
    calendar_uri = models.CharField(max_length=500)
    shared = models.BooleanField(default=False)
    booking = models.OneToOneField(Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="imported")
    owner_rule = models.CharField(max_length=20, choices=OwnerRule.choices)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(default=now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "event_uri"], name="imported_event_unique")]


class ImportedInvitee(models.Model):
    """One remote invitee (guest) of an imported event and the local invitee it became."""

    event = models.ForeignKey(ImportedEvent, on_delete=models.CASCADE, related_name="invitees")
    invitee_uri = models.CharField(max_length=500)
    invitee = models.OneToOneField(Invitee, null=True, blank=True, on_delete=models.SET_NULL, related_name="imported")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "invitee_uri"], name="imported_invitee_unique")]


class SyncRun(models.Model):
    """One poll or first sync of a connection, with its progress (shown on the connection page and the CLI)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10)  # first | poll | manual | webhook
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=500, blank=True)


class SyncLogEntry(models.Model):
    """What a sync did to one remote event, in words: imported, updated, canceled, skipped (and why), deleted."""

    class Action(models.TextChoices):
        IMPORTED = "imported"
        UPDATED = "updated"
        CANCELED = "canceled"
        SKIPPED = "skipped"
        DELETED = "deleted"
        ERROR = "error"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField()
    action = models.CharField(max_length=10, choices=Action.choices)
    event_uri = models.CharField(max_length=500, blank=True)
    detail = models.CharField(max_length=1000)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["connection", "at"])]
