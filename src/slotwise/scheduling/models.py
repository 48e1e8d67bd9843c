import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from slotwise.accounts.models import Membership, Organization, Team

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class AvailabilitySchedule(models.Model):
    """Weekly hours in one IANA zone, plus date overrides. `weekly` maps "mon".."sun" to a list of
    ["HH:MM", "HH:MM"] wall-clock ranges (half-open; "24:00" ends a day). Validated by services."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="schedules")
    owner = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=100, default="Working hours")
    timezone = models.CharField(max_length=64)
    weekly = models.JSONField(default=dict)
    # Seasonal hours: used instead of `weekly` on days the zone keeps daylight saving time (then `weekly`
    # holds the standard-time hours). Null: `weekly` all year.
    weekly_daylight = models.JSONField(null=True, blank=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner"], condition=Q(is_default=True), name="schedule_one_default_per_host"
            )
        ]

    def __str__(self):
        return f"{self.owner} · {self.name} ({self.timezone})"


class DateOverride(models.Model):
    """Other hours on one local date of the schedule's zone; an empty list means unavailable all day."""

    schedule = models.ForeignKey(AvailabilitySchedule, on_delete=models.CASCADE, related_name="overrides")
    date = models.DateField()
    intervals = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["schedule", "date"], name="override_unique_date")]
        ordering = ["date"]


class EventType(models.Model):
    class Recurrence(models.TextChoices):
        NONE = "", "Does not repeat"
        WEEKLY = "weekly", "Every week"
        BIWEEKLY = "biweekly", "Every two weeks"

    class Kind(models.TextChoices):
        ONE_ON_ONE = "one_on_one"
        GROUP = "group"
        COLLECTIVE = "collective"
        ROUND_ROBIN = "round_robin"

    class WindowKind(models.TextChoices):
        ROLLING = "rolling"
        RANGE = "range"
        UNLIMITED = "unlimited"

    class LocationKind(models.TextChoices):
        VIDEO = "video"  # a generated meeting link (Jitsi by default)
        LINK = "link"  # a fixed conferencing link
        PHONE = "phone"
        IN_PERSON = "in_person"
        CUSTOM = "custom"
        ZOOM = "zoom"

    class Distribution(models.TextChoices):
        AVAILABILITY = "availability"  # optimize for availability: priority, then least recently booked
        EQUAL = "equal"  # equal distribution, by weight

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="event_types")
    owner = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="event_types")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="event_types")
    slug = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ONE_ON_ONE)
    duration_minutes = models.PositiveIntegerField(default=30)
    duration_options = models.JSONField(default=list, blank=True, help_text="Other durations the invitee may pick")
    increment_minutes = models.PositiveIntegerField(default=30)
    buffer_before_minutes = models.PositiveIntegerField(default=0)
    buffer_after_minutes = models.PositiveIntegerField(default=0)
    min_notice_minutes = models.PositiveIntegerField(default=0)
    window_kind = models.CharField(max_length=10, choices=WindowKind.choices, default=WindowKind.ROLLING)
    window_days = models.PositiveIntegerField(null=True, blank=True, default=60)
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    daily_limit = models.PositiveIntegerField(null=True, blank=True)
    weekly_limit = models.PositiveIntegerField(null=True, blank=True)
    monthly_limit = models.PositiveIntegerField(null=True, blank=True)
    daily_minutes_limit = models.PositiveIntegerField(null=True, blank=True)
    weekly_minutes_limit = models.PositiveIntegerField(null=True, blank=True)
    # Invitees cannot cancel or reschedule within this many hours of the start (hosts can). Null: any time
    # before the start.
    cutoff_hours = models.PositiveIntegerField(null=True, blank=True)
    # Requests wait for the host's approval, holding their time for confirmation_hold_hours (then released).
    requires_confirmation = models.BooleanField(default=False)
    confirmation_hold_hours = models.PositiveIntegerField(default=24)
    # How many guests (email addresses) an invitee may add; 0: none.
    max_guests = models.PositiveIntegerField(default=0)
    # A recurring booking repeats the picked time weekly or every two weeks, recurrence_count times in all,
    # at the same wall time in the host's zone (bookings/recurring.py). Partial: the free occurrences are
    # booked and the others skipped; otherwise one unavailable occurrence refuses the whole series.
    recurrence = models.CharField(max_length=10, choices=Recurrence.choices, default=Recurrence.NONE, blank=True)
    recurrence_count = models.PositiveIntegerField(default=4)
    recurrence_partial = models.BooleanField(default=False)
    seats = models.PositiveIntegerField(default=1)
    location_kind = models.CharField(max_length=10, choices=LocationKind.choices, default=LocationKind.VIDEO)
    location_value = models.CharField(max_length=500, blank=True)
    questions = models.JSONField(
        default=list,
        blank=True,
        help_text='[{"key", "label", "type": text|long_text|phone|single_choice|multiple_choice, '
        '"required", "options"}]; name and email are always asked',
    )
    default_language = models.CharField(
        max_length=10,
        default="en",
        help_text="The booking page's language when the invitee has not chosen one and the browser asks for none "
        "that Slotwise offers",
    )
    translations = models.JSONField(
        default=dict,
        blank=True,
        help_text='The name, description and questions in other languages: {"de": {"name", "description", '
        '"questions": {"<key>": {"label", "options": [...]}}}}',
    )
    schedule = models.ForeignKey(
        AvailabilitySchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="event_types"
    )
    distribution = models.CharField(max_length=12, choices=Distribution.choices, default=Distribution.AVAILABILITY)
    invitee_picks_host = models.BooleanField(default=True, help_text="Round-robin: the invitee may pick a host")
    color = models.CharField(max_length=7, default="#2563eb")
    active = models.BooleanField(default=True)
    secret = models.BooleanField(default=False, help_text="Hidden from the host's page; reachable by its link")
    # Set on the never-bookable event type that appointments imported from another scheduler hang off (one
    # per imported calendar and owner, see bookings/imports.py): hidden from booking pages, the dashboard's
    # lists, the API's /event_types and availability; its appointments are changed only over there.
    external_source = models.CharField(max_length=20, blank=True, help_text='e.g. "calendly"; blank: our own')
    external_uri = models.CharField(max_length=500, blank=True, help_text="The remote event type")
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner__isnull=False, team__isnull=True) | Q(owner__isnull=True, team__isnull=False)),
                name="event_type_one_owner",
            ),
            models.UniqueConstraint(fields=["owner", "slug"], name="event_type_unique_slug_per_host"),
            models.UniqueConstraint(fields=["team", "slug"], name="event_type_unique_slug_per_team"),
            models.CheckConstraint(
                condition=Q(increment_minutes__gte=5, increment_minutes__lte=720), name="event_type_increment_range"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=1440), name="event_type_duration_range"
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="event_type_seats_positive"),
        ]

    def __str__(self):
        return f"{self.owner or self.team}/{self.slug}"

    @property
    def path(self) -> str:
        org = self.organization.slug
        if self.team_id:
            return f"/{org}/team/{self.team.slug}/{self.slug}/"
        return f"/{org}/{self.owner.slug}/{self.slug}/"


class PoolHost(models.Model):
    """A host of a team event (collective: all of them; round-robin: one of them)."""

    event_type = models.ForeignKey(EventType, on_delete=models.CASCADE, related_name="pool")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="pools")
    priority = models.IntegerField(default=2, help_text="Higher is offered first (0 lowest .. 4 highest)")
    weight = models.PositiveIntegerField(default=100)
    # The host's hours for this event only (an approved PoolJoinRequest's); empty: their default schedule.
    schedule = models.ForeignKey(
        AvailabilitySchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="pool_hosts"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event_type", "membership"], name="pool_unique_host")]


class PoolJoinRequest(models.Model):
    """A member asks to host a team event (the seed's "Support Call Inclusion Request"), stating the hours
    they will take it in their zone, with optional daylight-time hours (AvailabilitySchedule's seasons). An
    owner or admin approves (the hours become the member's schedule for this event, and they join the pool
    with a priority and weight) or declines with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        DECLINED = "declined"
        WITHDRAWN = "withdrawn"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.ForeignKey(EventType, on_delete=models.CASCADE, related_name="join_requests")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="pool_requests")
    timezone = models.CharField(max_length=64)
    weekly = models.JSONField(default=dict)
    weekly_daylight = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(blank=True, max_length=1000)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event_type", "membership"],
                condition=Q(status="pending"),
                name="pool_request_one_pending",
            )
        ]

    def __str__(self):
        return f"{self.membership} -> {self.event_type} ({self.status})"


class BusyBlock(models.Model):
    """Busy time from outside Slotwise (external calendars; `load` files until calendars are connected)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="busy_blocks")
    start = models.DateTimeField()
    end = models.DateTimeField()
    source = models.CharField(max_length=32, default="manual")
    external_id = models.CharField(max_length=500, blank=True)
    label = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["membership", "start"])]
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="busy_end_after_start")]


class BusyCoverage(models.Model):
    """How far ahead a busy source (a connected calendar, "calendar:<id>") was last read. Past the earliest
    `known_until` of a host's sources the host's busy time is unknown, and the engine offers nothing there
    (Reason.NOT_SYNCED) rather than calling it free."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="busy_coverage")
    source = models.CharField(max_length=32)
    known_until = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "source"], name="busy_coverage_unique")]


class EventTypeStar(models.Model):
    """An event type a host starred: listed first on their dashboard and in the browser extension."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    event_type = models.ForeignKey(EventType, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "event_type"], name="event_type_star_unique")]


class HostLimits(models.Model):
    """A host's own booking limits, across all their event types, in their local calendar."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="limits")
    daily_limit = models.PositiveIntegerField(null=True, blank=True)
    weekly_limit = models.PositiveIntegerField(null=True, blank=True)
    monthly_limit = models.PositiveIntegerField(null=True, blank=True)
    daily_minutes_limit = models.PositiveIntegerField(null=True, blank=True)
    weekly_minutes_limit = models.PositiveIntegerField(null=True, blank=True)


class OutOfOffice(models.Model):
    """A host is away on the local dates [first, last] of their home zone. `redirect_to`: during the absence
    their personal booking pages send invitees to this teammate's page."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="absences")
    first = models.DateField()
    last = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    redirect_to = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["first"]
        constraints = [models.CheckConstraint(condition=Q(last__gte=models.F("first")), name="ooo_last_after_first")]


class TravelStay(models.Model):
    """A host works from `timezone` on its local dates [first, last]: their hours are read on that clock."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="stays")
    timezone = models.CharField(max_length=64)
    first = models.DateField()
    last = models.DateField()

    class Meta:
        ordering = ["first"]
        constraints = [models.CheckConstraint(condition=Q(last__gte=models.F("first")), name="stay_last_after_first")]


class HostBusyVersion(models.Model):
    """A counter per host that every change to their busy time raises, in the writing transaction.

    Database triggers raise it (scheduling migration 0008 for BusyBlock, bookings migration 0008 for
    BookingHost and a booking's times), so no write path can forget it: services, sync's raw INSERTs,
    load files, erasure and cascades alike. Readers (bookings.busycache) keep a host's busy time ready
    between requests and read it again only when this number moved. A host with no row is at version 0.
    `membership_id` is a plain number, not a foreign key: a trigger may write it while the membership's
    rows are being deleted."""

    membership_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=0)
