"""Time-zone rule changes (tzdata releases) and the bookings they touch.

Policy: **the booked instant stays.** A booking is an agreement about an instant; what a new tzdata changes
is which wall time that instant shows in some zone. Each booking records the tzdata version it was made
under and the host-local and invitee-local wall times it showed then (`booked_under`). When Slotwise starts
under another tzdata, `check` lists the upcoming bookings whose wall time moved; the tzdata job
(`slotwise.notifications.tzdata_job`) flags them on the dashboard and sends both sides an updated
invitation (SEQUENCE + 1) so calendars show the new wall time, and either side can reschedule.
`slotwise tzdata check [--json]` prints the same list.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .models import Booking

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
        return (f"{self.side} wall time in {self.zone} moved from {self.was.replace('T', ' ')} to "
                f"{self.now.replace('T', ' ')} (tzdata {self.booked_tzdata} → {current_version()}); "
                f"the meeting stays at {self.start}")


def moves(booking: Booking) -> list[Moved]:
    """How the booking's recorded wall times differ under the rules loaded now ([] if none moved)."""
    out = []
    start = booking.start.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%MZ")
    for side, zone, was in (("host", booking.host_timezone, booking.host_wall_start),
                            ("invitee", booking.timezone, booking.invitee_wall_start)):
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
