"""Reads of stored schedules, event types and external busy time, turned into the engine's types.

What is booked is read by `bookings.selectors`; `bookings.availability` puts both together for the engine.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from types import SimpleNamespace
from typing import cast

from django.db.models import Exists, OuterRef

from slotwise import engine
from slotwise.accounts.models import Membership, Team
from slotwise.core.db import EpochSeconds
from slotwise.core.errors import InvalidInput, NotFound

from .models import (
    WEEKDAYS,
    AvailabilitySchedule,
    BusyBlock,
    BusyCoverage,
    DateOverride,
    EventType,
    HostLimits,
    OutOfOffice,
    PoolHost,
    TravelStay,
)


def parse_hhmm(value: str, *, field: str, label: str | None = None) -> time | None:
    """ "09:30" -> time(9, 30); "24:00" -> None (the end of the day). Messages start with `label` (words such
    as "Saturday"), `field` names the input for forms."""
    label = label or field
    try:
        hh, mm = value.split(":")
        h, m = int(hh), int(mm)
    except (ValueError, AttributeError):
        raise InvalidInput(f"{label}: {value!r} is not a wall-clock time like 09:30", field=field) from None
    if (h, m) == (24, 0):
        return None
    if not (0 <= h < 24 and 0 <= m < 60):
        raise InvalidInput(f"{label}: {value!r} is not a time of day (00:00 to 24:00)", field=field)
    return time(h, m)


def parse_ranges(ranges: Sequence, *, field: str, label: str | None = None) -> tuple[engine.TimeRange, ...]:
    """[["09:00", "12:00"], "13:00-17:00"] -> sorted, non-overlapping TimeRanges, or an error naming the field
    (`field[i]`) and, in words, the day (`label`, e.g. "Saturday")."""
    out = []
    for i, item in enumerate(ranges or []):
        where = f"{field}[{i}]"
        said = label or where
        if isinstance(item, str):
            parts = item.split("-")
            if len(parts) != 2:
                raise InvalidInput(f"{said}: {item!r} should look like 09:00-17:00", field=where)
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            parts = list(item)
        else:
            raise InvalidInput(f"{said}: {item!r} should look like 09:00-17:00", field=where)
        start = parse_hhmm(str(parts[0]).strip(), field=where, label=said)
        end = parse_hhmm(str(parts[1]).strip(), field=where, label=said)
        if start is None or (end is not None and end <= start):
            raise InvalidInput(f"{said}: {item!r} ends before it starts", field=where)
        out.append(engine.TimeRange(start, end))
    out.sort(key=lambda r: r.start)
    for a, b in zip(out, out[1:], strict=False):
        if a.end is None or a.end > b.start:
            raise InvalidInput(f"{label or field}: the ranges {a} and {b} overlap", field=field)
    return tuple(out)


def _frozen(ranges) -> tuple:
    return tuple(r if isinstance(r, str) else tuple(r) for r in ranges or ())


def weekly_hours(schedule: AvailabilitySchedule, stays: tuple[engine.Stay, ...] = ()) -> engine.WeeklyHours:
    """A schedule's hours for the engine; `stays`: the host's travel (host_rules)."""
    overrides = [(o.date, o.intervals) for o in schedule.overrides.all()]
    return _hours_of(schedule.timezone, schedule.weekly, schedule.weekly_daylight, overrides, stays)


def _hours_of(zone: str, weekly: dict, daylight: dict | None, overrides: list, stays: tuple) -> engine.WeeklyHours:
    """The stored fields of a schedule (and its overrides as (date, intervals)) as the engine's hours."""
    return _weekly_hours(
        zone,
        tuple(_frozen(weekly.get(day)) for day in WEEKDAYS),
        tuple(sorted((d, _frozen(intervals)) for d, intervals in overrides)),
        None if daylight is None else tuple(_frozen(daylight.get(day)) for day in WEEKDAYS),
        stays,
    )


def host_hours(
    event_type: EventType, member_ids: Sequence[int], stays: dict[int, tuple[engine.Stay, ...]]
) -> dict[int, engine.WeeklyHours]:
    """Each host's hours for this event type, from the schedule host_schedules picks, read as plain values
    in two queries: a pool page asks for the same 100 schedules on every request, and `_weekly_hours`
    hands back the same WeeklyHours (with its working time worked out already) while they are unchanged."""
    rows = {
        row[0]: row
        for row in AvailabilitySchedule.objects.filter(owner_id__in=member_ids)
        .annotate(for_pool=Exists(PoolHost.objects.filter(schedule=OuterRef("pk"))))
        .order_by("owner_id", *DEFAULT_FIRST)
        .values_list("id", "owner_id", "timezone", "weekly", "weekly_daylight", "for_pool")
    }
    chosen = _schedule_ids(event_type, member_ids, [(r[0], r[1], r[5]) for r in rows.values()])
    picked = {m: rows[schedule_id] for m, schedule_id in chosen.items()}
    overrides: dict[int, list] = defaultdict(list)
    for schedule_id, day, intervals in DateOverride.objects.filter(
        schedule_id__in=[row[0] for row in picked.values()]
    ).values_list("schedule_id", "date", "intervals"):
        overrides[schedule_id].append((day, intervals))
    return {
        m: _hours_of(row[2], row[3], row[4], overrides[row[0]], stays.get(m, ()))
        for m in member_ids
        for row in (picked[m],)
    }


@lru_cache(maxsize=4096)
def _weekly_hours(
    zone: str, weekly: tuple, overrides: tuple, daylight: tuple | None = None, stays: tuple = ()
) -> engine.WeeklyHours:
    """Parsed and pre-converted hours, keyed by their content: a pool page reads the same 100 schedules on
    every request, and an edited schedule simply has another key."""
    return engine.WeeklyHours(
        zone=zone,
        weekly={i: parse_ranges(ranges, field=f"weekly.{WEEKDAYS[i]}") for i, ranges in enumerate(weekly)},
        overrides={d: parse_ranges(ranges, field=f"overrides.{d}") for d, ranges in overrides},
        daylight=None
        if daylight is None
        else {i: parse_ranges(ranges, field=f"weekly_daylight.{WEEKDAYS[i]}") for i, ranges in enumerate(daylight)},
        stays=stays,
    )


# (model field, period, unit): the limit settings an event type and a host's HostLimits both have.
LIMIT_FIELDS = (
    ("daily_limit", "day", "bookings"),
    ("weekly_limit", "week", "bookings"),
    ("monthly_limit", "month", "bookings"),
    ("daily_minutes_limit", "day", "minutes"),
    ("weekly_minutes_limit", "week", "minutes"),
)


def limits_of(settings) -> tuple[engine.Limit, ...]:
    """The engine's limits from an EventType or HostLimits row (None: no limits)."""
    if settings is None:
        return ()
    return tuple(
        engine.Limit(cast(engine.rules.Period, period), value, cast(engine.rules.Unit, unit))
        for name, period, unit in LIMIT_FIELDS
        if (value := getattr(settings, name)) is not None
    )


@dataclass(frozen=True)
class HostRules:
    """A host's own rules, whatever the event type: limits across their event types, absences, travel."""

    limits: tuple[engine.Limit, ...] = ()
    away: tuple[engine.Away, ...] = ()
    stays: tuple[engine.Stay, ...] = ()


def host_rules(member_ids: Sequence[int]) -> dict[int, HostRules]:
    """Each host's HostRules, in three queries for any number of hosts."""
    names = [name for name, _, _ in LIMIT_FIELDS]
    limits = {
        row[0]: limits_of(SimpleNamespace(**dict(zip(names, row[1:], strict=True))))
        for row in HostLimits.objects.filter(membership_id__in=member_ids).values_list("membership_id", *names)
    }
    away: dict[int, list] = defaultdict(list)
    for member_id, first, last in OutOfOffice.objects.filter(membership_id__in=member_ids).values_list(
        "membership_id", "first", "last"
    ):
        away[member_id].append(engine.Away(first, last))
    stays: dict[int, list] = defaultdict(list)
    for member_id, zone, first, last in TravelStay.objects.filter(membership_id__in=member_ids).values_list(
        "membership_id", "timezone", "first", "last"
    ):
        stays[member_id].append(engine.Stay(zone, first, last))
    return {m: HostRules(limits=limits.get(m, ()), away=tuple(away[m]), stays=tuple(stays[m])) for m in member_ids}


def absence_now(host: Membership, now: datetime) -> OutOfOffice | None:
    """The host's absence covering today in their home zone, if any."""
    # Only the default schedule's zone is needed: one small query, not the schedule and its overrides
    # (every booking page asks this).
    zone = (
        AvailabilitySchedule.objects.filter(owner=host)
        .order_by(*DEFAULT_FIRST)
        .values_list("timezone", flat=True)
        .first()
    ) or host.organization.timezone
    today = engine.local_date(zone, now)
    return (
        OutOfOffice.objects.filter(membership=host, first__lte=today, last__gte=today)
        .select_related("redirect_to__user", "membership__user")
        .first()
    )


def away_redirect(
    host: Membership,
    now: datetime,
    event_slug: str | None = None,
    *,
    absence: OutOfOffice | None = None,
    absence_known: bool = False,
) -> str | None:
    """Where the host's personal pages send invitees while the host is away and named a teammate: the
    teammate's event type of the same slug if they have one on show, else the teammate's page. `absence`:
    absence_now(host, now), when `absence_known` (the caller looked it up already)."""
    absence = absence if absence_known else absence_now(host, now)
    if absence is None or absence.redirect_to is None:
        return None
    mate = absence.redirect_to
    org = host.organization.slug
    target = f"/{org}/{mate.slug}/"
    if event_slug and EventType.objects.filter(owner=mate, slug=event_slug, active=True, secret=False).exists():
        target = f"/{org}/{mate.slug}/{event_slug}/"
    return f"{target}?away={host.slug}"


# A host's default schedule: the one marked default, else their oldest. Every reader orders by this.
DEFAULT_FIRST = ("-is_default", "pk")


def default_schedule(host: Membership) -> AvailabilitySchedule | None:
    """The schedule a host's own hours mean when no event type names one (dashboard, API, zone shown)."""
    return (
        AvailabilitySchedule.objects.filter(owner=host, pool_hosts__isnull=True)
        .order_by(*DEFAULT_FIRST)
        .prefetch_related("overrides")
        .first()
    )


def reading_zone(host: Membership) -> str:
    """The zone a host reads times in on the dashboard: their default schedule's, else their account's."""
    schedule = default_schedule(host)
    return schedule.timezone if schedule else (host.user.timezone or "UTC")


def host_schedule(event_type: EventType, host: Membership) -> AvailabilitySchedule:
    return host_schedules(event_type, [host])[host.pk]


def host_schedules(event_type: EventType, hosts: Sequence[Membership]) -> dict[int, AvailabilitySchedule]:
    """Each host's schedule for this event type, in a fixed number of queries for any number of hosts: the
    event type's own schedule for the host who owns it; a pool host's hours for this event (an approved
    join request's, PoolHost.schedule); otherwise the host's default."""
    schedules = {
        schedule.pk: schedule
        for schedule in AvailabilitySchedule.objects.filter(owner_id__in=[h.pk for h in hosts])
        .annotate(for_pool=Exists(PoolHost.objects.filter(schedule=OuterRef("pk"))))
        .order_by("owner_id", *DEFAULT_FIRST)
        .prefetch_related("overrides")
    }
    rows = [(s.pk, s.owner_id, getattr(s, "for_pool", False)) for s in schedules.values()]
    chosen = _schedule_ids(event_type, [h.pk for h in hosts], rows)
    return {m: schedules[schedule_id] for m, schedule_id in chosen.items()}


def _schedule_ids(
    event_type: EventType, member_ids: Sequence[int], rows: list[tuple[int, int, bool]]
) -> dict[int, int]:
    """The one rule for which schedule gives a host's hours for an event type, over (schedule id, owner id,
    is a pool-only schedule) rows in default-first order: the event type's own schedule for its owner; a pool
    host's hours for this event (an approved join request's, PoolHost.schedule); otherwise the host's
    default. A schedule made for one pool is never anyone's default."""
    out: dict[int, int] = {}
    known = {schedule_id for schedule_id, _, _ in rows}
    for schedule_id, owner_id, for_pool in rows:
        if not for_pool:
            out.setdefault(owner_id, schedule_id)
    if event_type.schedule_id is not None and event_type.schedule_id in known:
        owner = next(o for sid, o, _ in rows if sid == event_type.schedule_id)
        out[owner] = event_type.schedule_id
    if event_type.team_id is not None:
        for member_id, schedule_id in PoolHost.objects.filter(
            event_type=event_type, membership_id__in=list(member_ids), schedule__isnull=False
        ).values_list("membership_id", "schedule_id"):
            if schedule_id in known:
                out[member_id] = schedule_id
    for m in member_ids:
        if m not in out:
            slug = Membership.objects.filter(pk=m).values_list("slug", flat=True).first()
            raise NotFound(f"host {slug} has no availability schedule; add weekly hours first")
    return out


def event_host_ids(event_type: EventType) -> list[int]:
    """The ids of event_hosts(event_type), in its order, without a model instance per host."""
    if event_type.team_id is None:
        return [cast(int, event_type.owner_id)]
    pool = list(PoolHost.objects.filter(event_type=event_type).values_list("membership_id", flat=True))
    if not pool:
        pool = list(cast(Team, event_type.team).members.order_by("pk").values_list("pk", flat=True))
    return pool


def event_hosts(event_type: EventType) -> list[Membership]:
    """The hosts whose calendars decide this event type's times."""
    if event_type.team_id is None:
        owner = cast(Membership, event_type.owner)  # the event_type_one_owner constraint: no team, an owner
        return [] if owner.deactivated_at is not None else [owner]  # a removed member hosts nothing more
    pool = [p.membership for p in PoolHost.objects.filter(event_type=event_type).select_related("membership__user")]
    if not pool:
        pool = list(cast(Team, event_type.team).members.select_related("user").order_by("pk"))
    return pool


def engine_mode(event_type: EventType, n_hosts: int) -> str:
    if event_type.kind == EventType.Kind.COLLECTIVE:
        return "all"
    if event_type.kind == EventType.Kind.ROUND_ROBIN or n_hosts > 1:
        return "any"
    return "one"


# Inside one_clock_zone_read(), clock_zone answers each event type once: a booking page asks it for its
# default zone and again through event_rules (bookings.availability), two schedule reads for one answer.
_clock_zones: ContextVar[dict[int, str] | None] = ContextVar("clock_zones", default=None)


@contextmanager
def one_clock_zone_read() -> Iterator[None]:
    """Remember clock_zone per event type until the block ends (one page render, which changes no schedule)."""
    token = _clock_zones.set({})
    try:
        yield
    finally:
        _clock_zones.reset(token)


def clock_zone(event_type: EventType) -> str:
    if event_type.team is not None:
        return event_type.team.timezone
    memo = _clock_zones.get()
    if memo is not None and event_type.pk in memo:
        return memo[event_type.pk]
    zone = host_schedule(event_type, cast(Membership, event_type.owner)).timezone
    if memo is not None:
        memo[event_type.pk] = zone
    return zone


def event_rules(event_type: EventType, *, duration_minutes: int | None = None) -> engine.EventRules:
    duration = duration_minutes or event_type.duration_minutes
    allowed = {event_type.duration_minutes, *(event_type.duration_options or [])}
    if duration not in allowed:
        raise InvalidInput(
            f"duration: {duration} minutes is not offered for {event_type.name}; choose one of {sorted(allowed)}",
            field="duration",
        )
    if event_type.window_kind == EventType.WindowKind.ROLLING and event_type.window_days:
        window = engine.Window(kind="rolling", days=event_type.window_days)
    elif event_type.window_kind == EventType.WindowKind.RANGE:
        window = engine.Window(kind="range", first=event_type.window_start, last=event_type.window_end)
    else:
        window = engine.Window(kind="unlimited")
    return engine.EventRules(
        duration=timedelta(minutes=duration),
        increment=timedelta(minutes=event_type.increment_minutes),
        buffer_before=timedelta(minutes=event_type.buffer_before_minutes),
        buffer_after=timedelta(minutes=event_type.buffer_after_minutes),
        min_notice=timedelta(minutes=event_type.min_notice_minutes),
        window=window,
        limits=limits_of(event_type),
        week_start=event_type.organization.week_start,
        seats=event_type.seats,
        clock_zone=clock_zone(event_type),
    )


def busy_pairs(member_ids: Sequence[int], *, start: datetime, end: datetime) -> dict[int, list[tuple[int, int]]]:
    """External busy time overlapping [start, end) per host, as epoch-second pairs.

    A 100-host pool reads ~20 000 rows here, so the database hands back epoch-second pairs and the engine
    takes them as they are (HostInput.busy_pairs), with no datetime or object per row."""
    pairs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for member_id, b_start, b_end in (
        BusyBlock.objects.filter(membership_id__in=member_ids, end__gt=start, start__lt=end)
        .annotate(s=EpochSeconds("start"), e=EpochSeconds("end", ceil=True))
        .order_by("start")  # the engine sorts again; sorted input makes that a linear pass
        .values_list("membership_id", "s", "e")
    ):
        pairs[member_id].append((b_start, b_end))
    return pairs


def busy_known_until(member_ids: Sequence[int]) -> dict[int, datetime]:
    """Per host, the instant up to which their calendars' busy time is known (the sync horizon): the
    earliest over their connections."""
    known_until: dict[int, datetime] = {}
    for member_id, until in BusyCoverage.objects.filter(membership_id__in=member_ids).values_list(
        "membership_id", "known_until"
    ):
        known_until[member_id] = min(until, known_until.get(member_id, until))
    return known_until


def local_range(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    """[start of `first`, end of `last`) in `zone`, as UTC instants: the span a viewer means by "these dates"."""
    starts = engine.local_day_bounds(zone, first)
    probe = first
    while not starts:  # a local date that never happened (Apia 2011-12-30): begin at the next one
        probe += timedelta(days=1)
        starts = engine.local_day_bounds(zone, probe)
    ends = engine.local_day_bounds(zone, last)
    probe = last
    while not ends:
        probe -= timedelta(days=1)
        ends = engine.local_day_bounds(zone, probe)
    return starts[0].start, ends[-1].end


def starred_ids(membership: Membership) -> set[int]:
    from .models import EventTypeStar

    return set(EventTypeStar.objects.filter(membership=membership).values_list("event_type_id", flat=True))


def event_types_of(membership: Membership):
    """The event types a host sends links for: their own and their teams' (the browser extension's list)."""
    from django.db.models import Q

    return (
        EventType.objects.filter(organization_id=membership.organization_id, external_source="")
        .filter(Q(owner=membership) | Q(team__members=membership) | Q(pool__membership=membership))
        .distinct()
        .select_related("organization", "owner__user", "team")
    )


@dataclass(frozen=True)
class EventTypeText:
    """What an invitee reads of an event type, in one language: its name, description and questions.
    Each question keeps its key and own options (the stored answer); `choices` pairs each option with the
    text shown for it."""

    name: str
    description: str
    questions: list


def event_type_text(event_type: EventType, language: str) -> EventTypeText:
    """The event type's words in `language`, each falling back to the event type's own where the host gave
    no translation (see scheduling.services.clean_translations)."""
    language = (language or "").lower()
    own = (event_type.translations or {}).get(language) or {}
    if not own and "-" in language:
        own = (event_type.translations or {}).get(language.split("-")[0]) or {}
    translated = own.get("questions") or {}
    questions = []
    for q in event_type.questions or []:
        t = translated.get(q["key"]) or {}
        shown = t.get("options") or []
        choices = [(o, shown[i] if i < len(shown) and shown[i] else o) for i, o in enumerate(q.get("options") or [])]
        questions.append({**q, "label": t.get("label") or q["label"], "choices": choices})
    return EventTypeText(
        name=own.get("name") or event_type.name,
        description=own.get("description") or event_type.description,
        questions=questions,
    )
