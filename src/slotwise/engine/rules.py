"""Inputs of the slot engine: event rules, busy blocks, group sessions, hosts, and reason codes."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from .hours import WeeklyHours
from .intervals import BusyPairs, imerge, to_epoch
from .wallclock import DAY, day_number, wall_range_pairs, zone_info

_ZERO = timedelta(0)
_SECOND = timedelta(seconds=1)


class Reason(StrEnum):
    """Why a start is not offered to a host. Declaration order is the order explain() reports them in."""

    OFF_GRID = "off_grid"
    OUTSIDE_HOURS = "outside_hours"
    BUSY = "busy"
    BUFFER = "buffer"
    NOTICE = "notice"
    WINDOW = "window"
    OUT_OF_OFFICE = "out_of_office"
    # Limits of this event type, counted in the host's local calendar (see Limit).
    DAILY_LIMIT = "daily_limit"
    WEEKLY_LIMIT = "weekly_limit"
    MONTHLY_LIMIT = "monthly_limit"
    DAILY_MINUTES = "daily_minutes_limit"
    WEEKLY_MINUTES = "weekly_minutes_limit"
    # The host's own limits, across all their event types.
    HOST_DAILY_LIMIT = "host_daily_limit"
    HOST_WEEKLY_LIMIT = "host_weekly_limit"
    HOST_MONTHLY_LIMIT = "host_monthly_limit"
    HOST_DAILY_MINUTES = "host_daily_minutes_limit"
    HOST_WEEKLY_MINUTES = "host_weekly_minutes_limit"
    FULL = "full"
    # The host's calendar is synced only so far ahead: past that its busy time is unknown, not free.
    NOT_SYNCED = "calendar_not_synced"
    # An occurrence of a recurring booking whose wall time the host's zone skips that day (a DST gap).
    NO_SUCH_TIME = "no_such_local_time"
    # Why an invitee cannot cancel or reschedule a booking (engine.cutoffs), not why a start is not offered.
    CUTOFF = "cutoff"
    STARTED = "started"


Period = Literal["day", "week", "month"]
Unit = Literal["bookings", "minutes"]


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `max` bookings (meetings, not seats) or minutes booked per local day, week or month.

    Counted in the host's home zone (their schedule's zone, also while they travel): a meeting counts in
    full for the local day, week and month of its start. Weeks start on EventRules.week_start.
    """

    period: Period
    max: int
    unit: Unit = "bookings"

    def __post_init__(self) -> None:
        if self.period not in ("day", "week", "month"):
            raise ValueError(f"Limit.period is day, week or month, got {self.period!r}")
        if self.unit not in ("bookings", "minutes"):
            raise ValueError(f"Limit.unit is bookings or minutes, got {self.unit!r}")
        if self.unit == "minutes" and self.period == "month":
            raise ValueError("minutes are limited per day or week")
        if not isinstance(self.max, int) or self.max < 0:
            raise ValueError(f"Limit.max must be an int >= 0, got {self.max!r}")


LIMIT_REASONS: dict[tuple[bool, Period, Unit], Reason] = {
    (False, "day", "bookings"): Reason.DAILY_LIMIT,
    (False, "week", "bookings"): Reason.WEEKLY_LIMIT,
    (False, "month", "bookings"): Reason.MONTHLY_LIMIT,
    (False, "day", "minutes"): Reason.DAILY_MINUTES,
    (False, "week", "minutes"): Reason.WEEKLY_MINUTES,
    (True, "day", "bookings"): Reason.HOST_DAILY_LIMIT,
    (True, "week", "bookings"): Reason.HOST_WEEKLY_LIMIT,
    (True, "month", "bookings"): Reason.HOST_MONTHLY_LIMIT,
    (True, "day", "minutes"): Reason.HOST_DAILY_MINUTES,
    (True, "week", "minutes"): Reason.HOST_WEEKLY_MINUTES,
}


def _limits(name: str, value) -> tuple[Limit, ...]:
    out = tuple(value)
    for item in out:
        if not isinstance(item, Limit):
            raise TypeError(f"{name} takes Limit values, got {item!r}")
    return out


def _whole_seconds(name: str, value: timedelta, *, positive: bool = False) -> int:
    if not isinstance(value, timedelta):
        raise TypeError(f"{name} must be a timedelta, got {value!r}")
    if value % _SECOND:
        raise ValueError(f"{name} must be a whole number of seconds, got {value}")
    if value < _ZERO or (positive and value == _ZERO):
        raise ValueError(f"{name} must be {'positive' if positive else 'zero or more'}, got {value}")
    return value // _SECOND


def _check_aware(name: str, value: datetime) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")


def check_zone(zone: str) -> None:
    zone_info(zone)


@dataclass(frozen=True, slots=True)
class Window:
    """How far ahead starts are offered.

    rolling: start < now + days. range: the start's local date in the event's clock_zone is within
    [first, last], both inclusive. unlimited: no bound.
    """

    kind: Literal["rolling", "range", "unlimited"] = "unlimited"
    days: int | None = None
    first: date | None = None
    last: date | None = None

    def __post_init__(self) -> None:
        if self.kind == "rolling":
            if not isinstance(self.days, int) or self.days < 0:
                raise ValueError(f"a rolling window needs days >= 0, got {self.days!r}")
        elif self.kind == "range":
            if self.first is None or self.last is None or self.first > self.last:
                raise ValueError(f"a range window needs first <= last, got {self.first!r}..{self.last!r}")
        elif self.kind != "unlimited":
            raise ValueError(f"Window.kind is rolling, range or unlimited, got {self.kind!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRules:
    duration: timedelta
    clock_zone: str
    increment: timedelta = timedelta(minutes=30)
    buffer_before: timedelta = _ZERO
    buffer_after: timedelta = _ZERO
    min_notice: timedelta = _ZERO
    window: Window = Window("unlimited")
    # Shorthand for Limit("day", daily_limit): folded into `limits` at construction.
    daily_limit: int | None = None
    limits: tuple[Limit, ...] = ()
    # The weekday weeks start on for weekly limits: 0 Monday (ISO 8601, the default) .. 6 Sunday.
    week_start: int = 0
    seats: int = 1

    def __post_init__(self) -> None:
        _whole_seconds("duration", self.duration, positive=True)
        _whole_seconds("increment", self.increment, positive=True)
        _whole_seconds("buffer_before", self.buffer_before)
        _whole_seconds("buffer_after", self.buffer_after)
        _whole_seconds("min_notice", self.min_notice)
        check_zone(self.clock_zone)
        if self.daily_limit is not None and self.daily_limit < 0:
            raise ValueError(f"daily_limit must be None or >= 0, got {self.daily_limit}")
        limits = _limits("EventRules.limits", self.limits)
        if self.daily_limit is not None:
            limits = (*limits, Limit("day", self.daily_limit))
        object.__setattr__(self, "limits", limits)
        if self.week_start not in range(7):
            raise ValueError(f"week_start is a weekday 0 (Monday)..6 (Sunday), got {self.week_start!r}")
        if self.seats < 1:
            raise ValueError(f"seats must be >= 1, got {self.seats}")


@dataclass(frozen=True, slots=True)
class Busy:
    """Blocks [start - before, end + after). For an existing booking, before/after are that booking's buffers."""

    start: datetime
    end: datetime
    before: timedelta = _ZERO
    after: timedelta = _ZERO
    label: str = ""
    # Block bounds in epoch seconds, widened outwards to whole seconds (exact for whole-second meetings).
    block: tuple[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_aware("Busy.start", self.start)
        _check_aware("Busy.end", self.end)
        if not self.start < self.end:
            raise ValueError(f"Busy needs start < end, got [{self.start}, {self.end})")
        if self.before < _ZERO or self.after < _ZERO:
            raise ValueError("Busy.before and Busy.after must not be negative")
        lo = self.start - self.before
        hi = self.end + self.after
        object.__setattr__(self, "block", (to_epoch(lo), to_epoch(hi) + (1 if hi.microsecond else 0)))


@dataclass(frozen=True, slots=True)
class Session:
    """An existing booking of this group event type starting at `start` with seats_taken seats used."""

    start: datetime
    end: datetime
    seats_taken: int

    def __post_init__(self) -> None:
        _check_aware("Session.start", self.start)
        _check_aware("Session.end", self.end)
        if not self.start < self.end:
            raise ValueError(f"Session needs start < end, got [{self.start}, {self.end})")


@dataclass(frozen=True, slots=True)
class Meeting:
    """A booked meeting of the host, for limits: this_event says whether it is of the event type asked about."""

    start: datetime
    end: datetime
    this_event: bool = True
    # (start epoch second, seconds booked), derived once.
    span: tuple[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_aware("Meeting.start", self.start)
        _check_aware("Meeting.end", self.end)
        if not self.start < self.end:
            raise ValueError(f"Meeting needs start < end, got [{self.start}, {self.end})")
        object.__setattr__(self, "span", (to_epoch(self.start), int((self.end - self.start).total_seconds())))


@dataclass(frozen=True, slots=True)
class Away:
    """Out of office on the local dates [first, last] (both inclusive) of the host's home zone."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if type(self.first) is not date or type(self.last) is not date or self.first > self.last:
            raise ValueError(f"Away needs dates first <= last, got {self.first!r}..{self.last!r}")


@dataclass(frozen=True, slots=True)
class HostInput:
    host_id: Hashable
    hours: WeeklyHours
    busy: Sequence[Busy] = ()
    # Booked meetings counted by limits (this event type's and, for the host's own limits, all others).
    meetings: Sequence[Meeting] = ()
    sessions: Sequence[Session] = ()
    # Busy time with no buffers of its own (external calendars), as (start, end) int epoch-second pairs,
    # half-open. The same as Busy(start, end) but without a dataclass per interval: a 100-host pool reads
    # tens of thousands of these per page. A BusyPairs is taken as it is (checked and merged when built),
    # so busy time kept ready between queries costs nothing to hand over.
    busy_pairs: Sequence[tuple[int, int]] = ()
    # Busy time is known only before this instant (the sync horizon of the host's calendars); a meeting
    # whose block (buffers included) reaches past it is not offered. None: known for all time.
    known_until: datetime | None = None
    # The host's own limits, across all their event types.
    limits: Sequence[Limit] = ()
    away: Sequence[Away] = ()
    # Derived once at construction; away_pairs: the out-of-office instants, merged.
    # Union of the busy blocks (touching ones joined), with their starts and ends for bisecting.
    blocks: list[tuple[int, int]] = field(init=False, repr=False, compare=False)
    block_starts: list[int] = field(init=False, repr=False, compare=False)
    block_ends: list[int] = field(init=False, repr=False, compare=False)
    away_pairs: list[tuple[int, int]] = field(init=False, repr=False, compare=False)
    # Limits' working memory, filled on first use: the meetings' local days, {first local day number of
    # the period: Tally} per (period, week_start), and the refused starts per (limits, week_start, duration).
    tallies: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "busy", tuple(self.busy))
        object.__setattr__(self, "meetings", tuple(self.meetings))
        object.__setattr__(self, "limits", _limits("HostInput.limits", self.limits))
        object.__setattr__(self, "away", tuple(self.away))
        object.__setattr__(self, "sessions", tuple(self.sessions))
        prepared = self.busy_pairs if isinstance(self.busy_pairs, BusyPairs) else None
        if prepared is None:
            object.__setattr__(self, "busy_pairs", BusyPairs(self.busy_pairs))
        for b in self.busy:
            if not isinstance(b, Busy):
                raise TypeError(f"HostInput.busy takes Busy values, got {b!r}")
        for s in self.sessions:
            if not isinstance(s, Session):
                raise TypeError(f"HostInput.sessions takes Session values, got {s!r}")
        for m in self.meetings:
            if not isinstance(m, Meeting):
                raise TypeError(f"HostInput.meetings takes Meeting values, got {m!r}")
        for a in self.away:
            if not isinstance(a, Away):
                raise TypeError(f"HostInput.away takes Away values, got {a!r}")
        if self.known_until is not None:
            _check_aware("HostInput.known_until", self.known_until)
        pairs = self.busy_pairs
        assert isinstance(pairs, BusyPairs)  # noqa: S101 - for the type checker: set just above
        if self.busy:
            blocks = imerge(sorted([b.block for b in self.busy] + list(pairs)))
            object.__setattr__(self, "blocks", blocks)
            object.__setattr__(self, "block_starts", [x for x, _ in blocks])
            object.__setattr__(self, "block_ends", [y for _, y in blocks])
        else:  # busy time prepared once (and maybe shared by many queries): its union is already there
            object.__setattr__(self, "blocks", pairs.union)
            object.__setattr__(self, "block_starts", pairs.union_starts)
            object.__setattr__(self, "block_ends", pairs.union_ends)
        zone = self.hours.zone
        away: list[tuple[int, int]] = []
        for a in self.away:
            away.extend(wall_range_pairs(zone, day_number(a.first) * DAY, (day_number(a.last) + 1) * DAY))
        away.sort()
        object.__setattr__(self, "away_pairs", imerge(away))
        object.__setattr__(self, "tallies", {})
