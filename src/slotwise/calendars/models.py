"""Connected calendars: where a host's busy time comes from and where their bookings are written.

Busy time itself lives in scheduling.BusyBlock (source "calendar:<connection id>"), the table the booking
pages already read, refreshed by sync so a page never waits on a remote server.
"""

import secrets

from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from slotwise.accounts.models import Membership, Organization, Team
from slotwise.bookings.models import Booking


def _feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarConnection(models.Model):
    """One account (or one ICS URL) a host connected. Its secret is stored encrypted (see core/secrets.py)."""

    class Kind(models.TextChoices):
        CALDAV = "caldav", "CalDAV"
        ICS = "ics", "ICS feed"
        GOOGLE = "google", "Google"
        MICROSOFT = "microsoft", "Microsoft 365 / Outlook"

    class Unreachable(models.TextChoices):
        BUSY = "busy"  # cannot see the calendar: offer nothing for this host until it is back
        FREE = "free"  # cannot see the calendar: keep the last busy time we synced and go on

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="calendar_connections")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=1000, blank=True, help_text="CalDAV server or ICS feed URL")
    username = models.CharField(max_length=200, blank=True)
    secret = models.TextField(blank=True, help_text="Encrypted: password or OAuth tokens (JSON)")
    unreachable = models.CharField(max_length=4, choices=Unreachable.choices, default=Unreachable.BUSY)
    poll_minutes = models.PositiveIntegerField(default=15)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Consecutive failed syncs")
    needs_reconnect = models.BooleanField(
        default=False, help_text="The provider refused our refresh token: the host must sign in again"
    )
    import_report = models.JSONField(default=list, blank=True, help_text="What the last sync could not import")
    # Google push channel (events.watch)
    channel_id = models.CharField(max_length=100, blank=True)
    channel_token = models.CharField(max_length=100, blank=True)
    channel_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    def __str__(self):
        return f"{self.kind}:{self.name or self.url} ({self.membership})"

    @property
    def busy_source(self) -> str:
        return f"calendar:{self.pk}"


class RemoteCalendar(models.Model):
    """One calendar inside a connection. `remote_id` is the collection URL (CalDAV), the feed URL (ICS) or
    the calendar id (Google, Microsoft Graph)."""

    connection = models.ForeignKey(CalendarConnection, on_delete=models.CASCADE, related_name="calendars")
    remote_id = models.CharField(max_length=1000)
    name = models.CharField(max_length=200, blank=True)
    use_for_conflicts = models.BooleanField(default=True)
    is_writeback = models.BooleanField(default=False, help_text="New bookings of this host are written here")
    read_only = models.BooleanField(default=False)
    sync_token = models.TextField(blank=True, help_text="sync-collection token / Google nextSyncToken")
    etag = models.CharField(max_length=500, blank=True, help_text="ICS feed: ETag of the last 200 response")
    last_modified = models.CharField(max_length=100, blank=True, help_text="ICS feed: Last-Modified")
    expanded_at = models.DateTimeField(null=True, blank=True, help_text="When busy time was last re-expanded")
    content_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="ICS feed: SHA-256 of the last body read, so an unchanged feed is not re-read",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "remote_id"], name="remote_calendar_unique")]

    def __str__(self):
        return self.name or self.remote_id


class RemoteEvent(models.Model):
    """A copy of one remote event resource (CalDAV object or Google event), kept so incremental sync knows
    what an edit or a delete replaces and so busy time can be re-expanded as the window moves on."""

    calendar = models.ForeignKey(RemoteCalendar, on_delete=models.CASCADE, related_name="events")
    href = models.CharField(max_length=1000, help_text="Resource path (CalDAV) or event id (Google)")
    uid = models.CharField(max_length=500, blank=True)
    etag = models.CharField(max_length=500, blank=True)
    data = models.TextField(help_text="iCalendar text (CalDAV) or the event JSON (Google)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["calendar", "href"], name="remote_event_unique")]
        indexes = [models.Index(fields=["calendar", "uid"])]


class CalendarEvent(models.Model):
    """An event Slotwise wrote into a remote calendar for a booking: the host's write-back copy or a team
    calendar copy made by the "copy to calendar" rule action."""

    class Purpose(models.TextChoices):
        WRITEBACK = "writeback"
        COPY = "copy"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="calendar_events")
    calendar = models.ForeignKey(RemoteCalendar, on_delete=models.CASCADE, related_name="written_events")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    uid = models.CharField(max_length=200)
    href = models.CharField(max_length=1000, blank=True)
    etag = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["booking", "calendar", "purpose"], name="calendar_event_unique")]


class Feed(models.Model):
    """A private ICS feed of a host's or a team's bookings at /feeds/<token>.ics. Rotating replaces the
    token, which revokes the old URL."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    membership = models.OneToOneField(
        Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="booking_feed"
    )
    team = models.OneToOneField(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="booking_feed")
    token = models.CharField(max_length=64, unique=True, default=_feed_token)
    rotated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(membership__isnull=False, team__isnull=True) | Q(membership__isnull=True, team__isnull=False)
                ),
                name="feed_one_owner",
            )
        ]
