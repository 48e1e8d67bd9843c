"""Time-zone rule changes (tzdata releases) and the bookings they touch.

Policy: **the booked instant stays.** A booking is an agreement about an instant; what a new tzdata changes
is which wall time that instant shows in some zone. Each booking records the tzdata version it was made
under and the host-local and invitee-local wall times it showed then (`booked_under`). When Slotwise starts
under another tzdata, `check` lists the upcoming bookings whose wall time moved; the tzdata job
(`slotwise.notifications.tzdata_job`) flags them on the dashboard and sends both sides an updated
invitation (SEQUENCE + 1) so calendars show the new wall time, and either side can reschedule.
`slotwise tzdata check [--json]` prints the same list.

The job (REVIEW_JOB, enqueued once per tzdata version by `startup`, which `slotwise serve` and `slotwise
worker` call) runs through the Job table like every other background work.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction

from slotwise.core.events import publish
from slotwise.jobs.models import Job
from slotwise.jobs.services import enqueue, handler

from .models import Booking

REVIEW_JOB = "bookings.tzdata_review"

WALL_FORMAT = "%Y-%m-%dT%H:%M"


def current_version() -> str:
    """The tzdata release zoneinfo reads: the `tzdata` package's version (Slotwise pins it; PYTHONTZPATH is
    emptied so the system's zone files, of unknown version, do not win)."""
    try:
        return importlib.metadata.version("tzdata")
    except importlib.metadata.PackageNotFoundError:
        return "system"


def wall(instant: datetime, zone: str) -> str:
    """The wall time `instant` shows in `zone` under the rules loaded now, to the minute."""
    return instant.astimezone(ZoneInfo(zone)).strftime(WALL_FORMAT)


def booked_under(*, start: datetime, host_zone: str, invitee_zone: str) -> dict:
    """The Booking fields that remember the rules a booking was made under."""
    return {
        "tzdata_version": current_version(),
        "host_timezone": host_zone,
        "host_wall_start": wall(start, host_zone),
        "invitee_wall_start": wall(start, invitee_zone),
    }


@dataclass(frozen=True)
class Moved:
    booking_uid: str
    start: str  # the instant, UTC (it stays)
    booked_tzdata: str
    side: str  # host | invitee
    zone: str
    was: str  # wall time when booked
    now: str  # wall time under the current rules

    def as_dict(self) -> dict:
        return asdict(self)

    def sentence(self) -> str:
        return (
            f"{self.side} wall time in {self.zone} moved from {self.was.replace('T', ' ')} to "
            f"{self.now.replace('T', ' ')} (tzdata {self.booked_tzdata} → {current_version()}); "
            f"the meeting stays at {self.start}"
        )


def moves(booking: Booking) -> list[Moved]:
    """How the booking's recorded wall times differ under the rules loaded now ([] if none moved)."""
    out = []
    start = booking.start.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%MZ")
    for side, zone, was in (
        ("host", booking.host_timezone, booking.host_wall_start),
        ("invitee", booking.timezone, booking.invitee_wall_start),
    ):
        if not (zone and was):
            continue  # booked before Slotwise recorded wall times: nothing to compare with
        now = wall(booking.start, zone)
        if now != was:
            out.append(Moved(str(booking.uid), start, booking.tzdata_version, side, zone, was, now))
    return out


def check(*, now: datetime, organization_id: int | None = None) -> list[tuple[Booking, list[Moved]]]:
    """Upcoming confirmed bookings whose host-local or invitee-local wall time moved under the current
    tzdata. Only bookings made under another tzdata version can have moved, so the scan is of those."""
    qs = (
        Booking.objects.filter(status=Booking.Status.CONFIRMED, start__gte=now)
        .exclude(tzdata_version__in=["", current_version()])
        .select_related("event_type", "host__user")
        .order_by("start")
    )
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    found = []
    for b in qs.iterator(chunk_size=500):
        m = moves(b)
        if m:
            found.append((b, m))
    return found


def flagged(*, now: datetime, organization_id: int | None = None):
    """Upcoming bookings the tzdata job already flagged (and notified)."""
    qs = Booking.objects.filter(status=Booking.Status.CONFIRMED, start__gte=now).exclude(tzdata_notice="")
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    return qs.select_related("event_type").order_by("start")


def startup(*, now: datetime) -> Job | None:
    """At start-up: under a tzdata release not reviewed yet, queue the review (once per version)."""
    version = current_version()
    key = f"tzdata:{version}"
    made_under_other_rules = Booking.objects.filter(status=Booking.Status.CONFIRMED, start__gte=now).exclude(
        tzdata_version__in=["", version]
    )
    if not made_under_other_rules.exists() or Job.objects.filter(kind=REVIEW_JOB, key=key).exists():
        return None
    return enqueue(REVIEW_JOB, {"version": version}, key=key, due_at=now)


def review(*, now: datetime) -> int:
    """Flag every upcoming booking whose wall time moved, raise its SEQUENCE and tell both sides (through
    booking.tzdata_moved, whose subscribers email the updated invitation). The recorded wall times become
    the new ones, which is what both sides are told; a retry finds nothing left to do. Returns how many."""
    n = 0
    for booking, _ in check(now=now):
        with transaction.atomic():
            b = Booking.objects.select_for_update().get(pk=booking.pk)
            if b.tzdata_version == current_version():
                continue  # another worker got here first
            fresh = moves(b)
            if not fresh:
                continue
            b.ical_sequence += 1  # the invitation carries the new wall time: calendars must take it
            b.tzdata_notice = "; ".join(m.sentence() for m in fresh)[:500]
            b.tzdata_version = current_version()
            b.host_wall_start = wall(b.start, b.host_timezone) if b.host_timezone else b.host_wall_start
            b.invitee_wall_start = wall(b.start, b.timezone) if b.invitee_wall_start else ""
            b.save(
                update_fields=[
                    "ical_sequence",
                    "tzdata_notice",
                    "tzdata_version",
                    "host_wall_start",
                    "invitee_wall_start",
                    "updated_at",
                ]
            )
            publish("booking.tzdata_moved", booking=b, now=now, moves=[m.sentence() for m in fresh])
            n += 1
    # What did not move is still right under the new rules: recorded as checked, so the next release
    # compares from here.
    Booking.objects.filter(status=Booking.Status.CONFIRMED, start__gte=now).exclude(
        tzdata_version__in=["", current_version()]
    ).update(tzdata_version=current_version())
    return n


@handler(REVIEW_JOB)
def run_review(payload: dict, job: Job) -> None:
    if payload.get("version") != current_version():
        return  # queued by a process that ran under another tzdata; its own start-up queues its review
    review(now=job.now)
