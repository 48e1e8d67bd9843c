"""Booking limits: at most N meetings or M minutes per local day, week or month of the host's home zone.

A period is a run of whole local days [first, end) (day numbers since 1970-01-01); its instants are the
wall range [first * DAY, end * DAY) under the one DST policy, so a day of 23 or 25 hours is still one day.
A meeting counts in full for the periods of its start's local date. A new meeting of `dur` seconds at a
start in a period is refused when the period already holds `max` meetings, or when its booked seconds
plus `dur` exceed `max` minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .intervals import imerge, to_epoch
from .rules import LIMIT_REASONS, HostInput, Limit, Period, Reason
from .wallclock import DAY, day_from_number, day_number, local_day_of, wall_range_pairs


@dataclass(slots=True)
class Tally:
    """Meetings and booked seconds in one period: this event type's, and all of the host's."""

    event_count: int = 0
    event_seconds: int = 0
    all_count: int = 0
    all_seconds: int = 0


def period_of(period: Period, n: int, week_start: int) -> tuple[int, int]:
    """The period containing local day number n, as day numbers [first, end)."""
    if period == "day":
        return n, n + 1
    if period == "week":
        # 1970-01-01 (day 0) was a Thursday, weekday 3.
        first = n - (n + 3 - week_start) % 7
        return first, first + 7
    d = day_from_number(n)
    first = day_number(d.replace(day=1))
    nxt = d.replace(year=d.year + 1, month=1, day=1) if d.month == 12 else d.replace(month=d.month + 1, day=1)
    return first, day_number(nxt)


def _tallies(host: HostInput, period: Period, week_start: int) -> dict[int, Tally]:
    key = (period, week_start)
    found = host.tallies.get(key)
    if found is None:
        found = {}
        zone = host.hours.zone
        for m in host.meetings:
            first, _ = period_of(period, local_day_of(zone, to_epoch(m.start)), week_start)
            tally = found.get(first)
            if tally is None:
                tally = found[first] = Tally()
            seconds = int((m.end - m.start).total_seconds())
            tally.all_count += 1
            tally.all_seconds += seconds
            if m.this_event:
                tally.event_count += 1
                tally.event_seconds += seconds
        host.tallies[key] = found
    return found


def _full(limit: Limit, host_wide: bool, tally: Tally | None, dur: int) -> bool:
    """Whether one more meeting of dur seconds would break the limit in a period holding `tally`."""
    if limit.unit == "bookings":
        used = 0 if tally is None else (tally.all_count if host_wide else tally.event_count)
        return used + 1 > limit.max
    used = 0 if tally is None else (tally.all_seconds if host_wide else tally.event_seconds)
    return used + dur > limit.max * 60


def _scoped(event_limits: Iterable[Limit], host: HostInput) -> Iterator[tuple[Limit, bool]]:
    for limit in event_limits:
        yield limit, False
    for limit in host.limits:
        yield limit, True


def blocked_pairs(
    event_limits: Iterable[Limit], host: HostInput, *, week_start: int, dur: int, lo: int, hi: int
) -> list[tuple[int, int]] | None:
    """Starts in [lo, hi) that some limit refuses, as merged int pairs; None when every start is refused."""
    zone = host.hours.zone
    out: list[tuple[int, int]] = []
    for limit, host_wide in _scoped(event_limits, host):
        if _full(limit, host_wide, None, dur):
            return None  # even an empty period cannot take this meeting
        for first, tally in _tallies(host, limit.period, week_start).items():
            _, end = period_of(limit.period, first, week_start)
            # A local day reaches at most a day either side of its UTC namesake.
            if first * DAY - DAY < hi and end * DAY + DAY > lo and _full(limit, host_wide, tally, dur):
                out.extend(wall_range_pairs(zone, first * DAY, end * DAY))
    out.sort()
    return imerge(out)


def limit_reasons(event_limits: Iterable[Limit], host: HostInput, *, week_start: int, dur: int, t: int) -> set[Reason]:
    """The limits that refuse a meeting of dur seconds starting at instant t."""
    n = local_day_of(host.hours.zone, t)
    out = set()
    for limit, host_wide in _scoped(event_limits, host):
        first, _ = period_of(limit.period, n, week_start)
        if _full(limit, host_wide, _tallies(host, limit.period, week_start).get(first), dur):
            out.add(LIMIT_REASONS[(host_wide, limit.period, limit.unit)])
    return out
