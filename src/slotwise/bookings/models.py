import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from slotwise.accounts.models import Membership, Organization
from slotwise.scheduling.models import EventType


def _token() -> str:
    return secrets.token_urlsafe(24)


class RecurringSeries(models.Model):
    """A recurring booking: one rule (weekly or every two weeks, `count` occurrences from `first_start`, at
    the same wall time in `host_timezone`) and its occurrences, each a Booking (series, series_index).

    Calendars see one meeting, one VEVENT with RRULE and EXDATE (bookings/calendar_object.py): its UID and
    SEQUENCE are `ical_uid` / `ical_sequence` here, and every occurrence's own fields carry the same values.
    `skipped` are the occurrences never booked (partial bookings), as the host's naive wall times
    (ISO, minutes); canceled occurrences are read from their bookings. Cancelling "this and all later"
    lowers `count` to the occurrences before it, which ends the rule there."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="recurring_series")
    event_type = models.ForeignKey(EventType, on_delete=models.PROTECT, related_name="recurring_series")
    host = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="recurring_series")
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    interval = models.PositiveSmallIntegerField(default=1, help_text="Weeks between occurrences: 1 or 2")
    count = models.PositiveSmallIntegerField(help_text="Occurrences the rule names (RRULE COUNT)")
    booked_count = models.PositiveSmallIntegerField(help_text="Occurrences the invitee asked for")
    first_start = models.DateTimeField()
    host_timezone = models.CharField(max_length=64)
    skipped = models.JSONField(default=list, blank=True)
    ical_uid = models.CharField(max_length=200, blank=True, db_index=True)
    ical_sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # A range, not IN (1, 2): Django's SQLite introspection cannot read a comma inside a CHECK.
            models.CheckConstraint(condition=Q(interval__gte=1, interval__lte=2), name="series_interval_one_or_two"),
        ]


class Booking(models.Model):
    """A scheduled event: one meeting at one time, with its host(s) and invitee(s). Instants are UTC; the
    invitee's zone is kept beside them for display and invitations."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed"
        CANCELED = "canceled"
        RESCHEDULED = "rescheduled"
        # A request waiting for the host's approval: it holds its time (active BookingHost rows) until
        # approval_expires_at, when bookings.approvals releases it.
        PENDING = "pending"

    class Approval(models.TextChoices):
        NOT_NEEDED = ""
        PENDING = "pending"
        APPROVED = "approved"
        DECLINED = "declined"
        EXPIRED = "expired"
        WITHDRAWN = "withdrawn"  # the invitee canceled the request before the host decided

    class Source(models.TextChoices):
        PAGE = "page"
        API = "api"
        SINGLE_USE = "single_use"
        IMPORT = "import"
        CLI = "cli"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="bookings")
    event_type = models.ForeignKey(EventType, on_delete=models.PROTECT, related_name="bookings")
    host = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="hosted_bookings", help_text="The owner / assigned host"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    timezone = models.CharField(max_length=64, help_text="The invitee's IANA zone when booking")
    duration_minutes = models.PositiveIntegerField()
    buffer_before_minutes = models.PositiveIntegerField(default=0)
    buffer_after_minutes = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CONFIRMED)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.PAGE)
    location_kind = models.CharField(max_length=10, blank=True)
    location = models.CharField(max_length=500, blank=True)
    cancel_reason = models.CharField(max_length=1000, blank=True)
    canceled_by = models.CharField(max_length=200, blank=True)
    canceler_type = models.CharField(max_length=10, blank=True)  # host | invitee
    canceled_at = models.DateTimeField(null=True, blank=True)
    approval = models.CharField(max_length=10, choices=Approval.choices, default=Approval.NOT_NEEDED, blank=True)
    approval_expires_at = models.DateTimeField(null=True, blank=True)
    approval_decided_at = models.DateTimeField(null=True, blank=True)
    rescheduled_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rescheduled_to"
    )
    # The calendar identity of the meeting, shared by every calendar object we emit for it (invitation
    # emails, the .ics download, write-back copies, feeds): see bookings/calendar_object.py. A reschedule
    # hands both to the new booking, with the sequence one higher.
    ical_uid = models.CharField(max_length=200, blank=True, db_index=True)
    ical_sequence = models.PositiveIntegerField(default=0)
    # The time-zone rules the booking was made under, and the wall times they gave (naive ISO, minutes):
    # a later tzdata that moves these wall times is detected by slotwise.bookings.tzdata.
    tzdata_version = models.CharField(max_length=20, blank=True)
    host_timezone = models.CharField(max_length=64, blank=True, help_text="The host's IANA zone when booking")
    host_wall_start = models.CharField(max_length=16, blank=True)
    invitee_wall_start = models.CharField(max_length=16, blank=True)
    # Set when a tzdata update moved a wall time of this booking: what moved, for the dashboard.
    tzdata_notice = models.CharField(max_length=500, blank=True)
    # An occurrence of a recurring booking: its series and its place in the rule (0 = first_start).
    series = models.ForeignKey(
        RecurringSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="occurrences"
    )
    series_index = models.PositiveSmallIntegerField(null=True, blank=True)
    link = models.ForeignKey(
        "SingleUseLink",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bookings",
        help_text="The single-use link this was booked through",
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "start"]),
            models.Index(fields=["event_type", "start"]),
            models.Index(fields=["host", "start"]),
        ]
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="booking_end_after_start")]

    def __str__(self):
        return f"{self.event_type.name} @ {self.start:%Y-%m-%d %H:%MZ} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.CONFIRMED


class BookingHost(models.Model):
    """The time a booking holds on one host's calendar, buffers included: [block_start, block_end).

    This is the table the database guards. PostgreSQL: an exclusion constraint (btree_gist) forbids two
    active rows of one host with overlapping blocks. SQLite: a trigger does the same (see the migration).
    A canceled booking's rows are set inactive, which frees the time."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="host_blocks")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="host_blocks")
    block_start = models.DateTimeField()
    block_end = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["membership", "block_start"])]
        constraints = [
            models.UniqueConstraint(fields=["booking", "membership"], name="booking_host_unique"),
            models.CheckConstraint(condition=Q(block_end__gt=models.F("block_start")), name="block_end_after_start"),
        ]


# What an invitee row says after data deletion (api/erasure.py): a name anyone can read as such, and an
# address under the reserved .invalid domain that no mail server accepts.
ERASED_NAME = "Deleted invitee"
ERASED_EMAIL_DOMAIN = "invalid.invalid"


def erased_email(invitee_uid) -> str:
    return f"deleted-{invitee_uid.hex}@{ERASED_EMAIL_DOMAIN}"


class Invitee(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        CANCELED = "canceled"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="invitees")
    name = models.CharField(max_length=200)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField()
    timezone = models.CharField(max_length=64)
    language = models.CharField(
        max_length=10, blank=True, help_text="The language the invitee booked in; their later emails use it"
    )
    answers = models.JSONField(default=list, blank=True, help_text='[{"key", "question", "answer"}]')
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    cancel_token = models.CharField(max_length=64, unique=True, default=_token)
    reschedule_token = models.CharField(max_length=64, unique=True, default=_token)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["email"])]

    @property
    def no_show(self) -> bool:
        """Marked as a no-show: an InviteeNoShow row exists (select_related("no_show_mark") to read it in lists)."""
        try:
            self.no_show_mark  # noqa: B018 - the reverse one-to-one is the question
        except InviteeNoShow.DoesNotExist:
            return False
        return True

    @property
    def is_erased(self) -> bool:
        """Their data was deleted: nothing may be sent to them or list them as an attendee."""
        return self.email.endswith("@" + ERASED_EMAIL_DOMAIN)


class Guest(models.Model):
    """Someone an invitee added to the meeting by email: invited (an ATTENDEE of the invitation) and able to
    decline through a signed link without cancelling the booking."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="guests")
    email = models.EmailField()
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_token = models.CharField(max_length=64, unique=True, default=_token)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["booking", "email"], name="guest_unique_per_booking")]


class InviteeNoShow(models.Model):
    """An invitee marked as a no-show, written only by bookings.noshow. Calendly gives it its own resource
    (uri, created_at, DELETE to undo), so it is a row rather than a flag."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invitee = models.OneToOneField(Invitee, on_delete=models.CASCADE, related_name="no_show_mark")
    created_at = models.DateTimeField(default=now)


class SingleUseLink(models.Model):
    """A scheduling link that dies after `max_event_count` bookings, at `expires_at`, or when revoked.

    Its state is derived, never stored twice: revoked (revoked_at), used (uses reached max_event_count; the
    bookings point back through Booking.link), expired (now >= expires_at) or unused. Writes go through
    bookings.links; the prefill is personal data and is scrubbed by the invitee-deletion service."""

    class State(models.TextChoices):
        UNUSED = "unused"
        USED = "used"
        EXPIRED = "expired"
        REVOKED = "revoked"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token = models.CharField(max_length=64, unique=True, default=_token)
    event_type = models.ForeignKey(EventType, on_delete=models.CASCADE, related_name="single_use_links")
    max_event_count = models.PositiveIntegerField(default=1)
    uses = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    prefill_name = models.CharField(max_length=200, blank=True, help_text="Offered in the booking form")
    prefill_email = models.EmailField(blank=True, help_text="Offered in the booking form")
    reference = models.CharField(max_length=100, blank=True, help_text="e.g. a ticket number; shown to the host")
    created_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(uses__lte=models.F("max_event_count")), name="link_uses_within_max")
        ]
        indexes = [models.Index(fields=["created_by", "created_at"]), models.Index(fields=["event_type", "created_at"])]

    def state(self, now) -> str:
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.uses >= self.max_event_count:
            return self.State.USED
        if self.expires_at is not None and now >= self.expires_at:
            return self.State.EXPIRED
        return self.State.UNUSED

    def usable(self, now) -> bool:
        return self.state(now) == self.State.UNUSED


class IdempotencyRecord(models.Model):
    """The first outcome of a request made with an Idempotency-Key, replayed for retries of it."""

    scope = models.CharField(max_length=200)  # who sent it: token, user or "public:<address>"
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveIntegerField(null=True, blank=True)  # null while the first request runs
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_unique_key")]
