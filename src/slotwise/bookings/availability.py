"""The one place that assembles the engine's inputs: schedules and external busy time from `scheduling`,
what is booked from `bookings.selectors`.

Every door that shows or checks availability (pages, API, CLI, the booking service) goes through
`event_availability` / `host_inputs`, so a time is offered and accepted by one code path.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from slotwise import engine
from slotwise.accounts.models import Membership
from slotwise.core import metrics
from slotwise.scheduling import selectors as scheduling
from slotwise.scheduling.models import EventType

from . import selectors

# How far outside the asked range a booking can still matter: its blocks reach back over the new meeting
# and its buffers, and a host's local day (for daily limits) reaches up to 26 hours from a UTC day.
_DAY_MARGIN = timedelta(hours=27)
# How far a limit's period reaches beyond the asked range: a local week or month, plus a local day's slack.
_PERIOD_MARGIN = {
    "day": _DAY_MARGIN,
    "week": timedelta(days=7) + _DAY_MARGIN,
    "month": timedelta(days=31) + _DAY_MARGIN,
}


@dataclass(frozen=True)
class Inputs:
    rules: engine.EventRules
    hosts: list[engine.HostInput]
    members: dict[int, Membership]
    mode: str


def host_inputs(
    event_type: EventType,
    hosts: Sequence[Membership],
    *,
    start: datetime,
    end: datetime,
    duration_minutes: int | None = None,
) -> Inputs:
    """Everything the engine needs to decide [start, end) for these hosts, read in a handful of queries."""
    rules = scheduling.event_rules(event_type, duration_minutes=duration_minutes)
    reach = rules.duration + rules.buffer_before + rules.buffer_after + _DAY_MARGIN
    lo, hi = start - reach, end + reach
    ids = [h.pk for h in hosts]
    own = scheduling.host_rules(ids)
    periods = {limit.period for limit in rules.limits} | {limit.period for r in own.values() for limit in r.limits}
    count = max((_PERIOD_MARGIN[p] for p in periods), default=None)
    pairs = scheduling.busy_pairs(ids, start=lo, end=hi)
    booked = selectors.booked(
        event_type_id=event_type.pk,
        seats=event_type.seats,
        member_ids=ids,
        start=lo,
        end=hi,
        count_start=None if count is None else start - count,
        count_end=None if count is None else end + count,
    )
    known_until = scheduling.busy_known_until(ids)
    schedules = scheduling.host_schedules(event_type, hosts)
    inputs = [
        engine.HostInput(
            host_id=h.pk,
            hours=scheduling.weekly_hours(schedules[h.pk], own[h.pk].stays),
            busy=tuple(booked.busy[h.pk]),
            busy_pairs=pairs[h.pk],
            meetings=tuple(booked.meetings[h.pk]),
            sessions=tuple(booked.sessions[h.pk]),
            known_until=known_until.get(h.pk),
            limits=own[h.pk].limits,
            away=own[h.pk].away,
        )
        for h in hosts
    ]
    return Inputs(
        rules=rules, hosts=inputs, members={h.pk: h for h in hosts}, mode=scheduling.engine_mode(event_type, len(hosts))
    )


def event_availability(
    *,
    event_type: EventType,
    start: datetime,
    end: datetime,
    viewer_zone: str,
    now: datetime,
    host: Membership | None = None,
    duration_minutes: int | None = None,
) -> engine.SlotResult:
    """The slots a booking page offers in [start, end), grouped by the viewer's local date."""
    with metrics.AVAILABILITY_SECONDS.time():
        hosts = [host] if host is not None else scheduling.event_hosts(event_type)
        inputs = host_inputs(event_type, hosts, start=start, end=end, duration_minutes=duration_minutes)
        mode = "one" if host is not None else inputs.mode
        return engine.available_slots(
            inputs.rules, inputs.hosts, mode=mode, now=now, start=start, end=end, viewer_zone=viewer_zone
        )


@dataclass(frozen=True)
class OfferedTime:
    start: datetime
    # Seats an invitee booking this start can still have: for a team, the most any host that can take it
    # has left; for a collective event, the fewest any of its hosts has left.
    seats_left: int


def offered_times(*, event_type: EventType, start: datetime, end: datetime, now: datetime) -> list[OfferedTime]:
    """The starts offered in [start, end) in time order, each with the seats left (the engine's, per host)."""
    hosts = scheduling.event_hosts(event_type)
    inputs = host_inputs(event_type, hosts, start=start, end=end)
    starts = engine.available_slots(
        inputs.rules, inputs.hosts, mode=inputs.mode, now=now, start=start, end=end, viewer_zone="UTC"
    ).starts()
    per_host = engine.seats_left(inputs.rules, inputs.hosts, now=now, starts=starts)
    pick = min if inputs.mode == "all" else max
    return [OfferedTime(s, pick(per_host[s].values())) for s in starts]


@dataclass(frozen=True)
class WeekPreview:
    """One host's week of an event type's starts, as the engine decides them, laid out on their wall clock.

    rows: (local time, one entry per day): the reasons that start is not offered ([] when it is), or None
    where the day has no start at that time (a wall time the DST change skipped)."""

    zone: str
    days: list[date]
    rows: list[tuple[time, list[list[engine.Reason] | None]]]


def week_preview(*, event_type: EventType, host: Membership, monday: date, now: datetime) -> WeekPreview:
    """The week from `monday` in the host's zone: every start on the event's grid within the hours the host
    works that week (an hour either side, so "outside hours" stays readable), with the engine's reasons."""
    days = [monday + timedelta(days=i) for i in range(7)]
    hours = scheduling.weekly_hours(scheduling.host_schedules(event_type, [host])[host.pk])
    zone = hours.zone
    lo, hi = scheduling.local_range(days[0], days[-1], zone)
    inputs = host_inputs(event_type, [host], start=lo, end=hi)
    ranges = [r.seconds for day in days for r in hours.ranges_on(day)]
    first = max(0, min((s // 3600 for s, _ in ranges), default=9) - 1) * 3600
    last = min(86400, (max((-(-e // 3600) for _, e in ranges), default=17) + 1) * 3600)
    found: dict[tuple[date, time], list[engine.Reason]] = {}
    for start, reasons in engine.explain_grid(inputs.rules, inputs.hosts[0], now=now, start=lo, end=hi):
        local = start.astimezone(ZoneInfo(zone))
        wall = local.time()
        if first <= wall.hour * 3600 + wall.minute * 60 + wall.second < last:
            found.setdefault((local.date(), wall), reasons)  # a repeated wall time shows its first instant
    times = sorted({wall for _, wall in found})
    return WeekPreview(zone=zone, days=days, rows=[(t, [found.get((d, t)) for d in days]) for t in times])
