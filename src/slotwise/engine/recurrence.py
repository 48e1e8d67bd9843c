"""Occurrences of a recurring meeting: the same wall time in the host's zone every `interval` weeks.

The rule is kept in wall time, as calendars keep an RRULE with a TZID: across a DST change the wall time
stays and the UTC instant moves by the change. Wall time -> instant goes through `wallclock`'s policy:
- a wall time in a spring-forward gap names no instant, so that occurrence has none (start None, reason
  Reason.NO_SUCH_TIME) and is never booked;
- a wall time in a fall-back fold names two instants; a recurrence takes the earlier, as RFC 5545 (3.3.5)
  reads an ambiguous DTSTART.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .wallclock import wall_to_instants

INTERVALS = (1, 2)


@dataclass(frozen=True, slots=True)
class Occurrence:
    index: int  # 0 is the first, the picked time
    wall: datetime  # naive, the host's wall clock
    start: datetime | None  # the UTC instant; None when the wall time does not exist that day


def occurrences(*, first_start: datetime, zone: str, interval: int, count: int) -> list[Occurrence]:
    """`count` occurrences from `first_start` (aware), `interval` weeks apart in `zone`'s wall clock."""
    if first_start.tzinfo is None or first_start.utcoffset() is None:
        raise ValueError(f"first_start must be an aware datetime, got {first_start!r}")
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}, not {interval!r}")
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count!r}")
    from zoneinfo import ZoneInfo

    wall0 = first_start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    out = []
    for i in range(count):
        wall = wall0 + timedelta(weeks=i * interval)  # naive: calendar days, not elapsed time
        instants = wall_to_instants(zone, wall)
        out.append(Occurrence(index=i, wall=wall, start=instants[0] if instants else None))
    return out
