"""The one place that assembles the engine's inputs: schedules and external busy time from `scheduling`,
what is booked from `bookings.selectors`.

Every door that shows or checks availability (pages, API, CLI, the booking service) goes through
`event_availability` / `host_inputs`, so a time is offered and accepted by one code path.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from slotwise import engine
from slotwise.accounts.models import Membership
from slotwise.core import metrics
from slotwise.scheduling import selectors as scheduling
from slotwise.scheduling.models import EventType

from . import busycache, selectors

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
    cached: bool = False,
) -> Inputs:
    """Everything the engine needs to decide [start, end) for these hosts, read in a handful of queries.

    cached: take each host's busy time from `busycache` (one version query, then the rows only for hosts
    whose busy time changed) instead of reading it row by row. The two give the same slots, free hosts
    and seats (tests/bookings/test_availability_cache.py); the uncached inputs also say which part of a
    booking's block is its buffer, which `engine.explain` words differently (refusals, week_preview).
    Group events (seats > 1) always read uncached: joining a session needs its booking as a Busy."""
    ids = [h.pk for h in hosts]
    rules, own, reach, count = _rules_and_reach(event_type, ids, duration_minutes)
    lo, hi = start - reach, end + reach
    if cached and event_type.seats == 1:
        found = _cached_inputs(event_type, ids, rules, own, lo=lo, hi=hi, count=count, start=start, end=end)
        return Inputs(rules=found.rules, hosts=found.hosts, members={h.pk: h for h in hosts}, mode=found.mode)
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


def _rules_and_reach(
    event_type: EventType, ids: Sequence[int], duration_minutes: int | None
) -> tuple[engine.EventRules, dict[int, scheduling.HostRules], timedelta, timedelta | None]:
    """The event's rules, the hosts' own rules, how far around the asked range bookings matter, and how far
    limits count meetings (None: no limits)."""
    rules = scheduling.event_rules(event_type, duration_minutes=duration_minutes)
    reach = rules.duration + rules.buffer_before + rules.buffer_after + _DAY_MARGIN
    own = scheduling.host_rules(ids)
    periods = {limit.period for limit in rules.limits} | {limit.period for r in own.values() for limit in r.limits}
    return rules, own, reach, max((_PERIOD_MARGIN[p] for p in periods), default=None)


def _cached_inputs(
    event_type: EventType,
    ids: Sequence[int],
    rules: engine.EventRules,
    own: dict[int, scheduling.HostRules],
    *,
    lo: datetime,
    hi: datetime,
    count: timedelta | None,
    start: datetime,
    end: datetime,
) -> Inputs:
    if count is None:
        count_start = count_end = 0
    else:
        count_start, count_end = _epoch(start - count), _epoch(end + count, ceil=True)
        lo, hi = min(lo, start - count), max(hi, end + count)
    busy = busycache.host_busy(ids, start=_epoch(lo), end=_epoch(hi, ceil=True))
    known_until = scheduling.busy_known_until(ids)
    hours = scheduling.host_hours(event_type, ids, {m: r.stays for m, r in own.items()})
    inputs = [
        engine.HostInput(
            host_id=m,
            hours=hours[m],
            busy_pairs=busy[m].pairs,
            meetings=() if count is None else busy[m].meetings_between(count_start, count_end, event_type.pk),
            known_until=known_until.get(m),
            limits=own[m].limits,
            away=own[m].away,
        )
        for m in ids
    ]
    # Read by id: no Membership instances (the slots do not need them); host_inputs adds them when asked.
    return Inputs(rules=rules, hosts=inputs, members={}, mode=scheduling.engine_mode(event_type, len(ids)))


def _read_inputs(
    event_type: EventType, host: Membership | None, *, start: datetime, end: datetime, duration_minutes=None
) -> Inputs:
    """The cached read path's inputs for a door that shows slots: the event's hosts by id (a 100-host pool
    needs no model instance per host for its slots)."""
    ids = [host.pk] if host is not None else scheduling.event_host_ids(event_type)
    if event_type.seats > 1:
        hosts = [host] if host is not None else scheduling.event_hosts(event_type)
        return host_inputs(event_type, hosts, start=start, end=end, duration_minutes=duration_minutes)
    rules, own, reach, count = _rules_and_reach(event_type, ids, duration_minutes)
    return _cached_inputs(
        event_type, ids, rules, own, lo=start - reach, hi=end + reach, count=count, start=start, end=end
    )


def _epoch(t: datetime, *, ceil: bool = False) -> int:
    whole = int(t.timestamp() // 1)
    return whole + 1 if ceil and t.microsecond else whole


def event_availability(
    *,
    event_type: EventType,
    start: datetime,
    end: datetime,
    viewer_zone: str,
    now: datetime,
    host: Membership | None = None,
    duration_minutes: int | None = None,
    cached: bool = True,
) -> engine.SlotResult:
    """The slots a booking page offers in [start, end), grouped by the viewer's local date (read through the
    busy-time cache unless `cached` is False; the slots are the same either way)."""
    with metrics.AVAILABILITY_SECONDS.time():
        if cached:
            inputs = _read_inputs(event_type, host, start=start, end=end, duration_minutes=duration_minutes)
        else:
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


def offered_times(
    *, event_type: EventType, start: datetime, end: datetime, now: datetime, cached: bool = True
) -> list[OfferedTime]:
    """The starts offered in [start, end) in time order, each with the seats left (the engine's, per host)."""
    if cached:
        inputs = _read_inputs(event_type, None, start=start, end=end)
    else:
        inputs = host_inputs(event_type, scheduling.event_hosts(event_type), start=start, end=end)
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
        local = start.astimezone(engine.zone_info(zone))
        wall = local.time()
        if first <= wall.hour * 3600 + wall.minute * 60 + wall.second < last:
            found.setdefault((local.date(), wall), reasons)  # a repeated wall time shows its first instant
    times = sorted({wall for _, wall in found})
    return WeekPreview(zone=zone, days=days, rows=[(t, [found.get((d, t)) for d in days]) for t in times])
