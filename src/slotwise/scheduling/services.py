"""Scheduling writes: event types, availability schedules, round-robin pools.

Every door (dashboard, `slotwise load`, API) calls these with plain values; each validates, writes in one
transaction and raises InvalidInput(field=...) naming the input to fix.
"""

import hashlib
from datetime import date, datetime
from typing import Any, Literal, overload

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from slotwise.accounts.models import Membership, Organization, Team
from slotwise.core.errors import InvalidInput, NotFound, PermissionDenied
from slotwise.core.events import publish
from slotwise.core.instants import parse_date
from slotwise.core.text import clean_name
from slotwise.core.timezones import validate_zone

from . import selectors
from .models import WEEKDAYS, AvailabilitySchedule, DateOverride, EventType, PoolHost

QUESTION_TYPES = ("text", "long_text", "phone", "single_choice", "multiple_choice")
COLOR_CHARS = set("0123456789abcdefABCDEF")

# The settings an event type accepts, with their defaults for a new one. Anything else is refused.
EVENT_TYPE_FIELDS = {
    "name": "",
    "slug": "",
    "description": "",
    "kind": EventType.Kind.ONE_ON_ONE,
    "duration_minutes": 30,
    "duration_options": [],
    "increment_minutes": 30,
    "buffer_before_minutes": 0,
    "buffer_after_minutes": 0,
    "min_notice_minutes": 0,
    "window_kind": EventType.WindowKind.ROLLING,
    "window_days": 60,
    "window_start": None,
    "window_end": None,
    "daily_limit": None,
    "seats": 1,
    "location_kind": EventType.LocationKind.VIDEO,
    "location_value": "",
    "questions": [],
    "distribution": EventType.Distribution.AVAILABILITY,
    "invitee_picks_host": True,
    "color": "#2563eb",
    "active": True,
    "secret": False,
}


@overload
def _int(values: dict, key: str, *, lo: int, hi: int, optional: Literal[False] = False) -> int: ...
@overload
def _int(values: dict, key: str, *, lo: int, hi: int, optional: bool) -> int | None: ...
def _int(values: dict, key: str, *, lo: int, hi: int, optional: bool = False) -> int | None:
    value = values.get(key)
    if value is None or value == "":
        if optional:
            return None
        raise InvalidInput(f"{key}: give a whole number from {lo} to {hi}", field=key)
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{key}: {value!r} is not a whole number", field=key) from None
    if isinstance(value, float) and value != n:
        raise InvalidInput(f"{key}: {value!r} is not a whole number", field=key)
    if not lo <= n <= hi:
        raise InvalidInput(f"{key}: {n} is out of range; give a number from {lo} to {hi}", field=key)
    return n


def _date(values: dict, key: str) -> date | None:
    value = values.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, date):
        value = value.isoformat()  # the year range applies to dates given as objects too
    return parse_date(str(value), field=key)


def _choice(values: dict, key: str, choices) -> str:
    value = values.get(key)
    allowed = [c.value for c in choices]
    if value not in allowed:
        raise InvalidInput(f"{key}: {value!r} is not one of {', '.join(allowed)}", field=key)
    return str(value)


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "on", "yes")
    return bool(value)


def _questions(raw) -> list[dict]:
    if not isinstance(raw, list):
        raise InvalidInput("questions: give a list of questions", field="questions")
    out, keys = [], set()
    for i, q in enumerate(raw):
        where = f"questions[{i}]"
        if not isinstance(q, dict):
            raise InvalidInput(f"{where}: a question needs a label and a type", field="questions")
        label = str(q.get("label") or "").strip()
        if not label:
            raise InvalidInput(f"{where}: the question needs a label", field="questions")
        key = slugify(q.get("key") or label).replace("-", "_")[:40] or f"q{i + 1}"
        if key in ("name", "email") or key in keys:
            raise InvalidInput(f"{where}: the key {key!r} is used twice; give the question its own key",
                               field="questions")
        keys.add(key)
        kind = q.get("type") or "text"
        if kind not in QUESTION_TYPES:
            raise InvalidInput(f"{where}: type {kind!r} is not one of {', '.join(QUESTION_TYPES)}",
                               field="questions")
        options = [str(o).strip() for o in q.get("options") or [] if str(o).strip()]
        if kind in ("single_choice", "multiple_choice") and len(options) < 2:
            raise InvalidInput(f"{where}: a choice question needs at least two options", field="questions")
        out.append({"key": key, "label": label[:300], "type": kind, "required": _bool(q.get("required")),
                    "options": options})
    return out


def clean_event_type(values: dict) -> dict:
    """Validated, normalized event type settings from `values` (every key of EVENT_TYPE_FIELDS)."""
    unknown = set(values) - set(EVENT_TYPE_FIELDS)
    if unknown:
        key = sorted(unknown)[0]
        raise InvalidInput(f"{key}: event types have no such setting", field=key)
    out: dict[str, Any] = {}
    # A name goes into email subjects and calendar SUMMARY lines: one line, no control characters.
    name = clean_name(str(values.get("name") or ""), field="name", label="Name", max_length=None)
    if not name:
        raise InvalidInput("name: give the event type a name, e.g. 30 minute call", field="name")
    if len(name) > 200:
        raise InvalidInput("name: at most 200 characters", field="name")
    out["name"] = name
    slug = slugify(values.get("slug") or name)[:64]
    if not slug or slug == "team":
        raise InvalidInput(f"slug: {values.get('slug')!r} cannot be a URL part; use letters, digits and -",
                           field="slug")
    out["slug"] = slug
    description = str(values.get("description") or "")
    if len(description) > 5000:
        raise InvalidInput("description: at most 5000 characters", field="description")
    out["description"] = description
    out["kind"] = _choice(values, "kind", EventType.Kind)
    out["duration_minutes"] = _int(values, "duration_minutes", lo=1, hi=1440)
    options = values.get("duration_options") or []
    if isinstance(options, str):
        options = [o for o in options.replace(" ", "").split(",") if o]
    out["duration_options"] = sorted(
        {_int({"duration_options": o}, "duration_options", lo=1, hi=1440) for o in options} - {out["duration_minutes"]}
    )
    out["increment_minutes"] = _int(values, "increment_minutes", lo=5, hi=720)
    out["buffer_before_minutes"] = _int(values, "buffer_before_minutes", lo=0, hi=1440)
    out["buffer_after_minutes"] = _int(values, "buffer_after_minutes", lo=0, hi=1440)
    out["min_notice_minutes"] = _int(values, "min_notice_minutes", lo=0, hi=525600)
    out["window_kind"] = _choice(values, "window_kind", EventType.WindowKind)
    out["window_days"] = _int(values, "window_days", lo=1, hi=3650, optional=True)
    out["window_start"] = _date(values, "window_start")
    out["window_end"] = _date(values, "window_end")
    if out["window_kind"] == EventType.WindowKind.ROLLING and not out["window_days"]:
        raise InvalidInput("window_days: a rolling window needs a number of days", field="window_days")
    if out["window_kind"] == EventType.WindowKind.RANGE:
        if not out["window_start"] or not out["window_end"]:
            raise InvalidInput("window_start: a date range needs a first and a last date", field="window_start")
        if out["window_end"] < out["window_start"]:
            raise InvalidInput("window_end: the last date is before the first", field="window_end")
    out["daily_limit"] = _int(values, "daily_limit", lo=1, hi=1000, optional=True)
    out["seats"] = _int(values, "seats", lo=1, hi=10000)
    if out["seats"] > 1 and out["kind"] != EventType.Kind.GROUP:
        raise InvalidInput("seats: only group events have more than one seat", field="seats")
    out["location_kind"] = _choice(values, "location_kind", EventType.LocationKind)
    location = str(values.get("location_value") or "").strip()
    if len(location) > 500:
        raise InvalidInput("location_value: at most 500 characters", field="location_value")
    if out["location_kind"] in (EventType.LocationKind.LINK, EventType.LocationKind.IN_PERSON,
                                EventType.LocationKind.PHONE) and not location:
        raise InvalidInput("location_value: say where (the link, address or phone number)", field="location_value")
    out["location_value"] = location
    out["questions"] = _questions(values.get("questions") or [])
    out["distribution"] = _choice(values, "distribution", EventType.Distribution)
    out["invitee_picks_host"] = _bool(values.get("invitee_picks_host"))
    color = str(values.get("color") or "")
    if len(color) != 7 or color[0] != "#" or not set(color[1:]) <= COLOR_CHARS:
        raise InvalidInput(f"color: {color!r} is not a colour like #2563eb", field="color")
    out["color"] = color.lower()
    out["active"] = _bool(values.get("active"))
    out["secret"] = _bool(values.get("secret"))
    return out


def _check_owner(organization: Organization, owner: Membership | None, team: Team | None, kind: str) -> None:
    holder = owner or team
    if holder is None or (owner is not None and team is not None):
        raise InvalidInput("owner: an event type belongs to one host or one team", field="owner")
    if holder.organization_id != organization.pk:
        raise InvalidInput("owner: that host or team is in another organization", field="owner")
    team_kinds = (EventType.Kind.ROUND_ROBIN, EventType.Kind.COLLECTIVE)
    if team is None and kind in team_kinds:
        raise InvalidInput(f"kind: {kind} events belong to a team", field="kind")


def _save(event_type: EventType) -> None:
    try:
        with transaction.atomic():
            event_type.save()
    except IntegrityError:
        raise InvalidInput(
            f"slug: {event_type.slug!r} is already used by another event type here; choose another", field="slug"
        ) from None


def event_type_create(
    *, organization: Organization, values: dict, now: datetime, owner: Membership | None = None,
    team: Team | None = None,
) -> EventType:
    clean = clean_event_type({**EVENT_TYPE_FIELDS, **values})
    _check_owner(organization, owner, team, clean["kind"])
    with transaction.atomic():
        event_type = EventType(organization=organization, owner=owner, team=team, created_at=now, **clean)
        _save(event_type)
        publish("event_type.created", event_type=event_type, now=now)
    return event_type


def event_type_update(*, event_type: EventType, values: dict, now: datetime) -> EventType:
    current = {k: getattr(event_type, k) for k in EVENT_TYPE_FIELDS}
    clean = clean_event_type({**current, **values})
    _check_owner(event_type.organization, event_type.owner, event_type.team, clean["kind"])
    with transaction.atomic():
        for k, v in clean.items():
            setattr(event_type, k, v)
        _save(event_type)
        publish("event_type.updated", event_type=event_type, now=now)
    return event_type


def event_type_delete(*, event_type: EventType, now: datetime) -> None:
    """Deactivate rather than delete when bookings point at it (they keep their history)."""
    with transaction.atomic():
        if event_type.bookings.exists():
            event_type.active = False
            event_type.save(update_fields=["active", "updated_at"])
        else:
            publish("event_type.deleted", event_type=event_type, now=now)
            event_type.delete()
            return
        publish("event_type.deleted", event_type=event_type, now=now)


def schedule_update(
    *, schedule: AvailabilitySchedule, timezone: str, weekly: dict, overrides: dict | None = None
) -> AvailabilitySchedule:
    """Replace the weekly hours (and, if given, all date overrides: {date: [ranges]}, [] = away all day)."""
    zone = validate_zone(timezone, field="timezone")
    unknown = set(weekly) - set(WEEKDAYS)
    if unknown:
        day = sorted(unknown)[0]
        raise InvalidInput(f"weekly.{day}: days are {', '.join(WEEKDAYS)}", field=f"weekly.{day}")
    clean_weekly = {day: _ranges(weekly.get(day) or [], field=f"weekly.{day}") for day in WEEKDAYS}
    clean_overrides = None
    if overrides is not None:
        clean_overrides = {}
        for key, ranges in overrides.items():
            day = _date({"overrides": key}, "overrides")
            if day is None:
                raise InvalidInput("overrides: each override needs a date (YYYY-MM-DD)", field="overrides")
            clean_overrides[day] = _ranges(ranges or [], field=f"overrides.{day}")
    with transaction.atomic():
        schedule.timezone = zone
        schedule.weekly = clean_weekly
        schedule.save(update_fields=["timezone", "weekly"])
        if clean_overrides is not None:
            schedule.overrides.all().delete()
            DateOverride.objects.bulk_create(
                [DateOverride(schedule=schedule, date=d, intervals=r) for d, r in sorted(clean_overrides.items())]
            )
    return schedule


def _ranges(ranges, *, field: str) -> list[list[str]]:
    """Validated ["HH:MM", "HH:MM"] pairs, sorted; overlaps are named the way the host wrote them."""
    if not isinstance(ranges, (list, tuple)):
        raise InvalidInput(f"{field}: give a list of ranges like 09:00-17:00", field=field)
    parsed = []
    for i, item in enumerate(ranges):
        (r,) = selectors.parse_ranges([item], field=f"{field}[{i}]")
        parsed.append([_hhmm(r.start), _hhmm(r.end)])
    parsed.sort()
    for a, b in zip(parsed, parsed[1:], strict=False):
        if a[1] > b[0]:
            raise InvalidInput(f"{field}: the ranges {a[0]}-{a[1]} and {b[0]}-{b[1]} overlap", field=field)
    return parsed


def _hhmm(t) -> str:
    return "24:00" if t is None else f"{t.hour:02d}:{t.minute:02d}"


MAX_POOL_WEIGHT = 1000


def pool_set(*, event_type: EventType, hosts: list[tuple]) -> list[PoolHost]:
    """Replace a team event's pool with these (membership, priority 0..4[, weight 1..1000]) tuples. Priority
    decides who is offered first; weight shares bookings out under equal distribution (200 gets twice 100's)."""
    if event_type.team_id is None:
        raise InvalidInput("Only team events have a pool of hosts", field="pool")
    members = set(event_type.team.members.values_list("pk", flat=True))
    seen = set()
    rows = []
    for entry in hosts:
        m, priority, weight = (*entry, 100)[:3]
        name = m.user.name or m.user.email if hasattr(m, "user") else m.slug
        if m.pk not in members:
            raise InvalidInput(f"{name} is not a member of {event_type.team.name}; add them to the team first",
                               field="pool")
        if m.pk in seen:
            raise InvalidInput(f"{name} is listed twice in the pool", field="pool")
        seen.add(m.pk)
        try:
            priority, weight = int(priority), int(weight)
        except (TypeError, ValueError):
            raise InvalidInput(f"Give {name} a priority from 0 to 4 and a weight from 1 to {MAX_POOL_WEIGHT}",
                               field="pool") from None
        if not 0 <= priority <= 4:
            raise InvalidInput(f"{name}'s priority must be from 0 (lowest) to 4 (highest)", field="pool")
        if not 1 <= weight <= MAX_POOL_WEIGHT:
            raise InvalidInput(f"{name}'s weight must be from 1 to {MAX_POOL_WEIGHT} (100 is an equal share)",
                               field="pool")
        rows.append(PoolHost(event_type=event_type, membership=m, priority=priority, weight=weight))
    with transaction.atomic():
        PoolHost.objects.filter(event_type=event_type).delete()
        return PoolHost.objects.bulk_create(rows)


def star_set(*, membership: Membership, event_type: EventType, starred: bool, now: datetime) -> bool:
    """Star or unstar an event type for one host (idempotent); returns whether it is now starred.
    Stars are shared by the dashboard, the API and the browser extension."""
    from .models import EventTypeStar

    if event_type.organization_id != membership.organization_id:
        raise NotFound("no such event type in your organization")
    if starred:
        EventTypeStar.objects.get_or_create(membership=membership, event_type=event_type,
                                            defaults={"created_at": now})
    else:
        EventTypeStar.objects.filter(membership=membership, event_type=event_type).delete()
    return starred


def team_members_set(*, actor: Membership, team: Team, members: list[Membership]) -> Team:
    """Set a team's members. Here rather than in accounts because a host who leaves the team leaves its
    event pools too, and pools are scheduling's."""
    if actor.organization_id != team.organization_id or not actor.is_admin:
        raise PermissionDenied("only owners and admins change teams")
    strangers = [m.slug for m in members if m.organization_id != team.organization_id]
    if strangers:
        raise InvalidInput(f"members: {strangers[0]} is not in this organization", field="members")
    with transaction.atomic():
        team.members.set(members)
        # A host who leaves the team leaves its event pools too.
        PoolHost.objects.filter(event_type__team=team).exclude(membership__in=members).delete()
    return team


def external_event_type(*, owner: Membership, source: str, uri: str, name: str, duration_minutes: int) -> EventType:
    """The never-bookable event type that `owner`'s appointments imported from one remote event type (`uri`
    at `source`, e.g. "calendly") hang off: inactive and secret, so no page, list, API or availability offers
    it. Found or created; two imports racing for it get the same row (the unique slug per host)."""
    slug = f"{source}-{hashlib.sha256(uri.encode()).hexdigest()[:16]}"
    defaults = {
        "organization_id": owner.organization_id, "name": clean_name(name, field="name", max_length=None)[:200]
        or "Imported meeting", "duration_minutes": min(max(duration_minutes, 1), 1440), "active": False,
        "secret": True, "external_source": source, "external_uri": uri[:500],
        "location_kind": EventType.LocationKind.CUSTOM, "window_kind": EventType.WindowKind.UNLIMITED,
    }
    event_type, _ = EventType.objects.get_or_create(owner=owner, slug=slug, defaults=defaults)
    return event_type
