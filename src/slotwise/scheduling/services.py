"""Scheduling writes: event types, availability schedules, round-robin pools.

Every door (dashboard, `slotwise load`, API) calls these with plain values; each validates, writes in one
transaction and raises InvalidInput(field=...) naming the input to fix.
"""

import hashlib
from datetime import date, datetime, timedelta
from typing import Any, Literal, cast, overload

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from slotwise import engine
from slotwise.accounts.models import Membership, Organization, Team
from slotwise.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from slotwise.core.events import publish
from slotwise.core.instants import parse_date
from slotwise.core.languages import names as language_names
from slotwise.core.languages import validate_language
from slotwise.core.text import clean_name, clean_text
from slotwise.core.timezones import validate_zone

from . import selectors
from .models import (
    WEEKDAYS,
    AvailabilitySchedule,
    DateOverride,
    EventType,
    HostLimits,
    OutOfOffice,
    PoolHost,
    PoolJoinRequest,
    TravelStay,
)

QUESTION_TYPES = ("text", "long_text", "phone", "single_choice", "multiple_choice")
COLOR_CHARS = set("0123456789abcdefABCDEF")
DAY_NAMES = dict(
    zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)
# An event type called "team" would be shadowed by /<org>/team/<team>/.
RESERVED_SLUGS = {"team"}

# How people read each setting in a message, and its unit.
LABELS: dict[str, tuple[str, str]] = {
    "duration_minutes": ("Duration", " minutes"),
    "duration_options": ("Each other duration", " minutes"),
    "increment_minutes": ("The start-time increment", " minutes"),
    "buffer_before_minutes": ("The buffer before", " minutes"),
    "buffer_after_minutes": ("The buffer after", " minutes"),
    "min_notice_minutes": ("The minimum notice", " minutes"),
    "window_days": ("The booking window", " days"),
    "daily_limit": ("The daily limit", " bookings"),
    "seats": ("Seats", ""),
    "confirmation_hold_hours": ("The time a request waits for approval", " hours"),
    "max_guests": ("Guests", ""),
    "recurrence_count": ("The number of meetings in a series", ""),
}
CHOICE_WORDS = {
    "kind": "The kind",
    "window_kind": "The booking window",
    "location_kind": "The location",
    "distribution": "The distribution",
}

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
    "weekly_limit": None,
    "monthly_limit": None,
    "daily_minutes_limit": None,
    "weekly_minutes_limit": None,
    "cutoff_hours": None,
    "requires_confirmation": False,
    "confirmation_hold_hours": 24,
    "max_guests": 0,
    "recurrence": EventType.Recurrence.NONE,
    "recurrence_count": 4,
    "recurrence_partial": False,
    "seats": 1,
    "location_kind": EventType.LocationKind.VIDEO,
    "location_value": "",
    "questions": [],
    "distribution": EventType.Distribution.AVAILABILITY,
    "invitee_picks_host": True,
    "color": "#2563eb",
    "active": True,
    "secret": False,
    "default_language": "en",
    "translations": {},
}


@overload
def _int(values: dict, key: str, *, lo: int, hi: int, optional: Literal[False] = False) -> int: ...
@overload
def _int(values: dict, key: str, *, lo: int, hi: int, optional: bool) -> int | None: ...
def _int(values: dict, key: str, *, lo: int, hi: int, optional: bool = False) -> int | None:
    label, unit = LABELS[key]
    rule = f"{label} must be between {lo} and {hi}{unit}"
    value = values.get(key)
    if value is None or value == "":
        if optional:
            return None
        raise InvalidInput(rule, field=key)
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{rule}; {value!r} is not a whole number", field=key) from None
    if isinstance(value, bool) or (isinstance(value, float) and value != n):
        raise InvalidInput(f"{rule}; {value!r} is not a whole number", field=key)
    if not lo <= n <= hi:
        raise InvalidInput(rule, field=key)
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
        raise InvalidInput(
            f"{CHOICE_WORDS.get(key, key)} must be one of {', '.join(allowed)}, not {value!r}", field=key
        )
    return str(value)


def _clean_recurrence(values: dict, out: dict) -> dict:
    """Recurrence (none, weekly or biweekly), the number of meetings in a series, and whether a series may
    be booked with some of its meetings skipped (bookings/recurring.py)."""
    raw = values.get("recurrence") or ""
    recurrence = "" if raw == "none" else raw
    if recurrence not in EventType.Recurrence.values:
        raise InvalidInput(f"The recurrence must be none, weekly or biweekly, not {raw!r}", field="recurrence")
    if recurrence and out["seats"] > 1:
        raise InvalidInput("Group events cannot repeat: each attendee books a seat", field="recurrence")
    if recurrence and out["requires_confirmation"]:
        raise InvalidInput("Events that wait for approval cannot repeat", field="recurrence")
    return {
        "recurrence": recurrence,
        "recurrence_count": _int(values, "recurrence_count", lo=2, hi=24),
        "recurrence_partial": _bool(values.get("recurrence_partial")),
    }


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "on", "yes")
    return bool(value)


def _questions(raw) -> list[dict]:
    if not isinstance(raw, list):
        raise InvalidInput("Give the questions as a list", field="questions")
    out, keys = [], set()
    for i, q in enumerate(raw):
        where = f"Question {i + 1}"
        if not isinstance(q, dict):
            raise InvalidInput(f"{where} needs a label and a type", field="questions")
        label = str(q.get("label") or "").strip()
        if not label:
            raise InvalidInput(f"{where} needs a label", field="questions")
        key = slugify(q.get("key") or label).replace("-", "_")[:40] or f"q{i + 1}"
        if key in ("name", "email") or key in keys:
            raise InvalidInput(
                f"{where}: the key {key!r} is used twice; give the question its own key", field="questions"
            )
        keys.add(key)
        kind = q.get("type") or "text"
        if kind not in QUESTION_TYPES:
            raise InvalidInput(
                f"{where}: the type {kind!r} is not one of {', '.join(QUESTION_TYPES)}", field="questions"
            )
        options = [str(o).strip() for o in q.get("options") or [] if str(o).strip()]
        if kind in ("single_choice", "multiple_choice") and len(options) < 2:
            raise InvalidInput(f"{where} is a choice question and needs at least two options", field="questions")
        out.append(
            {"key": key, "label": label[:300], "type": kind, "required": _bool(q.get("required")), "options": options}
        )
    return out


def clean_translations(raw, *, questions: list[dict], default_language: str) -> dict:
    """The name, description and questions in other languages: {"de": {"name", "description", "questions":
    {"<key>": {"label", "options": [...]}}}}, keyed by offered language; `questions` may also be a list in
    the order of the event type's questions. Empty texts are dropped (the page
    falls back to the event type's own); a question's options are translated in order, and the answer
    stored is always the event type's own option. Translations of questions that are gone are dropped."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput(
            "Translations: give one entry per language, e.g. de: {name: ..., description: ...}", field="translations"
        )
    by_key = {q["key"]: q for q in questions}
    out = {}
    for code, entry in raw.items():
        language = validate_language(code, label="Translations", field="translations")
        if language == default_language:
            raise InvalidInput(
                f"Translations: {language_names()[language]} is the event type's own language; "
                "its name and description are the ones above",
                field="translations",
            )
        label = language_names()[language]
        if not isinstance(entry, dict) or set(entry) - {"name", "description", "questions"}:
            raise InvalidInput(f"{label}: give a name, a description and questions, nothing else", field="translations")
        text: dict[str, object] = {}
        name = clean_name(str(entry.get("name") or ""), field="translations", label=f"Name in {label}", max_length=200)
        if name:
            text["name"] = name
        description = clean_text(
            str(entry.get("description") or ""),
            field="translations",
            label=f"Description in {label}",
            max_length=5000,
            multiline=True,
        )
        if description:
            text["description"] = description
        asked = entry.get("questions") or {}
        if isinstance(asked, list):  # in the order of the event type's questions (the dashboard's form)
            if len(asked) > len(questions):
                raise InvalidInput(
                    f"Questions in {label}: {len(asked)} given, the event type asks "
                    f"{len(questions)}; translate them in the same order",
                    field="translations",
                )
            asked = {questions[i]["key"]: q for i, q in enumerate(asked)}
        if not isinstance(asked, dict):
            raise InvalidInput(
                f"Questions in {label}: give each question's key with its label and options", field="translations"
            )
        translated = {}
        for key, q in asked.items():
            if key not in by_key:
                continue
            if not isinstance(q, dict):
                raise InvalidInput(
                    f"Questions in {label}: give {by_key[key]['label']!r} a label and options", field="translations"
                )
            own = by_key[key]
            q_label = clean_name(
                str(q.get("label") or ""), field="translations", label=f"{own['label']} in {label}", max_length=300
            )
            options = [str(o).strip() for o in q.get("options") or []]
            if len(options) > len(own["options"]):
                raise InvalidInput(
                    f"{own['label']} in {label}: {len(options)} options given, the question has "
                    f"{len(own['options'])}; translate them in the same order",
                    field="translations",
                )
            options = [o[:300] for o in options]
            if q_label or any(options):
                translated[key] = {"label": q_label, "options": options}
        if translated:
            text["questions"] = translated
        if text:
            out[language] = text
    return out


def clean_event_type(values: dict) -> dict:
    """Validated, normalized event type settings from `values` (every key of EVENT_TYPE_FIELDS)."""
    unknown = set(values) - set(EVENT_TYPE_FIELDS)
    if unknown:
        key = sorted(unknown)[0]
        raise InvalidInput(f"Event types have no setting called {key!r}", field=key)
    out: dict[str, Any] = {}
    # A name goes into email subjects and calendar SUMMARY lines: one line, no control characters.
    name = clean_name(str(values.get("name") or ""), field="name", label="Name", max_length=None)
    if not name:
        raise InvalidInput("Give the event type a name, e.g. 30 minute call", field="name")
    if len(name) > 200:
        raise InvalidInput("The name can be at most 200 characters", field="name")
    out["name"] = name
    slug = slugify(values.get("slug") or name)[:64]
    if not slug or slug in RESERVED_SLUGS:
        raise InvalidInput(
            f"The URL part {values.get('slug')!r} is taken by Slotwise's own pages; choose another"
            if slug
            else f"The URL part {values.get('slug')!r} needs letters or digits",
            field="slug",
        )
    out["slug"] = slug
    description = str(values.get("description") or "")
    if len(description) > 5000:
        raise InvalidInput("The description can be at most 5000 characters", field="description")
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
        raise InvalidInput("A rolling booking window needs a number of days", field="window_days")
    if out["window_kind"] == EventType.WindowKind.RANGE:
        if not out["window_start"] or not out["window_end"]:
            raise InvalidInput("A date-range booking window needs a first and a last date", field="window_start")
        if out["window_end"] < out["window_start"]:
            raise InvalidInput("The booking window's last date is before its first", field="window_end")
    out.update(clean_limits(values))
    out["cutoff_hours"] = _limit(values, "cutoff_hours", "The cut-off", "hours", 1, 8760)
    out["seats"] = _int(values, "seats", lo=1, hi=10000)
    out["requires_confirmation"] = bool(values.get("requires_confirmation"))
    out["confirmation_hold_hours"] = _int(values, "confirmation_hold_hours", lo=1, hi=720)
    out["max_guests"] = _int(values, "max_guests", lo=0, hi=50)
    if out["max_guests"] and out["seats"] > 1:
        raise InvalidInput("Group events cannot take guests: each attendee books a seat", field="max_guests")
    if out["requires_confirmation"] and out["seats"] > 1:
        raise InvalidInput("Group events cannot wait for approval: book them directly", field="requires_confirmation")
    if out["seats"] > 1 and out["kind"] != EventType.Kind.GROUP:
        raise InvalidInput("Only group events have more than one seat", field="seats")
    out.update(_clean_recurrence(values, out))
    out["location_kind"] = _choice(values, "location_kind", EventType.LocationKind)
    location = str(values.get("location_value") or "").strip()
    if len(location) > 500:
        raise InvalidInput("The location can be at most 500 characters", field="location_value")
    if (
        out["location_kind"]
        in (EventType.LocationKind.LINK, EventType.LocationKind.IN_PERSON, EventType.LocationKind.PHONE)
        and not location
    ):
        raise InvalidInput("Say where the meeting is (the link, address or phone number)", field="location_value")
    out["location_value"] = location
    out["questions"] = _questions(values.get("questions") or [])
    out["distribution"] = _choice(values, "distribution", EventType.Distribution)
    out["invitee_picks_host"] = _bool(values.get("invitee_picks_host"))
    color = str(values.get("color") or "")
    if len(color) != 7 or color[0] != "#" or not set(color[1:]) <= COLOR_CHARS:
        raise InvalidInput(f"The colour must be like #2563eb, not {color!r}", field="color")
    out["color"] = color.lower()
    out["active"] = _bool(values.get("active"))
    out["secret"] = _bool(values.get("secret"))
    out["default_language"] = validate_language(
        values.get("default_language") or "en", label="Default language", field="default_language"
    )
    out["translations"] = clean_translations(
        values.get("translations"), questions=out["questions"], default_language=out["default_language"]
    )
    return out


# Words for people, per limit setting: (what, unit, most).
LIMIT_WORDS = {
    "daily_limit": ("Bookings a day", "bookings", 1000),
    "weekly_limit": ("Bookings a week", "bookings", 5000),
    "monthly_limit": ("Bookings a month", "bookings", 20000),
    "daily_minutes_limit": ("Minutes booked a day", "minutes", 1440),
    "weekly_minutes_limit": ("Minutes booked a week", "minutes", 10080),
}


def _limit(values: dict, key: str, what: str, unit: str, lo: int, hi: int) -> int | None:
    """An optional whole number lo..hi, refused in words: "Bookings a week must be a whole number from 1 to 5000"."""
    value = values.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        n = None
    if n is None or isinstance(value, bool) or (isinstance(value, float) and value != n) or not lo <= n <= hi:
        raise InvalidInput(f"{what} must be a whole number of {unit} from {lo} to {hi}, or empty for none", field=key)
    return n


def clean_limits(values: dict) -> dict:
    """The five limit settings (an event type's or a host's), each None or a whole number in range."""
    return {key: _limit(values, key, what, unit, 1, most) for key, (what, unit, most) in LIMIT_WORDS.items()}


def host_limits_set(*, host: Membership, values: dict) -> HostLimits:
    """Set a host's own limits across all their event types (counted in their local calendar)."""
    clean = clean_limits(values)
    with transaction.atomic():
        row, _ = HostLimits.objects.select_for_update().get_or_create(membership=host)
        for k, v in clean.items():
            setattr(row, k, v)
        row.save()
    return row


def _away_dates(first, last) -> tuple[date, date]:
    a, b = _date({"first": first}, "first"), _date({"last": last}, "last")
    if a is None:
        raise InvalidInput("Give the first day", field="first")
    if b is None:
        raise InvalidInput("Give the last day", field="last")
    if b < a:
        raise InvalidInput("The last day is before the first", field="last")
    if (b - a).days > 366:
        raise InvalidInput("A range can be at most a year long", field="last")
    return a, b


def out_of_office_add(
    *, host: Membership, first, last, reason: str = "", redirect_to: Membership | None = None
) -> OutOfOffice:
    """Mark a host away on the local dates first..last of their home zone; optionally send invitees of
    their personal pages to a teammate meanwhile."""
    a, b = _away_dates(first, last)
    reason = clean_name(reason or "", field="reason", label="The reason", max_length=200)
    if redirect_to is not None:
        if redirect_to.organization_id != host.organization_id:
            raise InvalidInput("Send invitees to someone in your organization", field="redirect_to")
        if redirect_to.pk == host.pk:
            raise InvalidInput("Send invitees to a teammate, not to yourself", field="redirect_to")
    with transaction.atomic():
        _lock(host)
        if OutOfOffice.objects.filter(membership=host, first__lte=b, last__gte=a).exists():
            raise InvalidInput("You are already out of office on some of those days", field="first")
        return OutOfOffice.objects.create(membership=host, first=a, last=b, reason=reason, redirect_to=redirect_to)


def out_of_office_remove(*, host: Membership, absence_id: int) -> None:
    deleted, _ = OutOfOffice.objects.filter(membership=host, pk=absence_id).delete()
    if not deleted:
        raise NotFound("no such out-of-office entry")


def travel_add(*, host: Membership, timezone: str, first, last) -> TravelStay:
    """The host works from `timezone` on its local dates first..last: their hours are read on that clock."""
    try:
        zone = validate_zone(timezone, field="timezone")
    except InvalidInput:
        named = f"{str(timezone).strip()[:64]!r} is not a time zone we know. " if str(timezone or "").strip() else ""
        raise InvalidInput(
            f"{named}Choose the time zone you travel to from the list, such as America/New_York", field="timezone"
        ) from None
    a, b = _away_dates(first, last)
    with transaction.atomic():
        _lock(host)
        if TravelStay.objects.filter(membership=host, first__lte=b, last__gte=a).exists():
            raise InvalidInput("You already travel on some of those days", field="first")
        return TravelStay.objects.create(membership=host, timezone=zone, first=a, last=b)


def travel_remove(*, host: Membership, stay_id: int) -> None:
    deleted, _ = TravelStay.objects.filter(membership=host, pk=stay_id).delete()
    if not deleted:
        raise NotFound("no such trip")


def _lock(host: Membership) -> None:
    # Serialises one host's writes, so two overlapping ranges added at once cannot both pass the check.
    list(Membership.objects.select_for_update().filter(pk=host.pk).values("pk"))


def schedule_seasons_set(
    *, schedule: AvailabilitySchedule, daylight: dict | None, now: datetime | None
) -> AvailabilitySchedule:
    """Seasonal hours: `daylight` ({"mon": [ranges], ...}) applies on days the schedule's zone keeps
    daylight saving time, the weekly hours on the others. None: the weekly hours all year."""
    if daylight is not None:
        if now is None:
            raise ValueError("schedule_seasons_set needs now")
        unknown = set(daylight) - set(WEEKDAYS)
        if unknown:
            day = sorted(unknown)[0]
            raise InvalidInput(f"Days are {', '.join(WEEKDAYS)}, not {day!r}", field=f"weekly_daylight.{day}")
        today = now.date()
        if not engine.zone_has_daylight(schedule.timezone, today, today + timedelta(days=366)):
            raise InvalidInput(
                f"{schedule.timezone} keeps no daylight saving time, so one set of hours is all it needs",
                field="weekly_daylight",
            )
        daylight = {day: _ranges(daylight.get(day) or [], field=f"weekly_daylight.{day}") for day in WEEKDAYS}
    schedule.weekly_daylight = daylight
    schedule.save(update_fields=["weekly_daylight"])
    return schedule


def _check_owner(organization: Organization, owner: Membership | None, team: Team | None, kind: str) -> None:
    holder = owner or team
    if holder is None or (owner is not None and team is not None):
        raise InvalidInput("An event type belongs to one host or one team", field="owner")
    if holder.organization_id != organization.pk:
        raise InvalidInput("That host or team is in another organization", field="owner")
    team_kinds = (EventType.Kind.ROUND_ROBIN, EventType.Kind.COLLECTIVE)
    if team is None and kind in team_kinds:
        raise InvalidInput(f"{kind.replace('_', ' ').capitalize()} events belong to a team", field="kind")


def _save(event_type: EventType) -> None:
    try:
        with transaction.atomic():
            event_type.save()
    except IntegrityError:
        raise InvalidInput(
            f"The URL part {event_type.slug!r} is already used by another event type here; choose another", field="slug"
        ) from None


def event_type_create(
    *,
    organization: Organization,
    values: dict,
    now: datetime,
    owner: Membership | None = None,
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


def default_schedule_for(*, membership: Membership, timezone: str) -> AvailabilitySchedule:
    """The host's default schedule, created (no hours yet, in `timezone`) if they have none."""
    schedule = selectors.default_schedule(membership)
    if schedule is None:
        schedule = AvailabilitySchedule.objects.create(
            organization=membership.organization, owner=membership, is_default=True, timezone=validate_zone(timezone)
        )
    return schedule


KEEP = object()  # schedule_update: leave the seasonal hours as they are


def schedule_update(
    *,
    schedule: AvailabilitySchedule,
    timezone: str,
    weekly: dict,
    overrides: dict | None = None,
    daylight: dict | None | object = KEEP,
    now: datetime | None = None,
) -> AvailabilitySchedule:
    """Replace the weekly hours (and, if given, all date overrides: {date: [ranges]}, [] = away all day;
    and, if given, the seasonal hours, see schedule_seasons_set, which then needs `now`)."""
    try:
        zone = validate_zone(timezone, field="timezone")
    except InvalidInput as exc:
        words = exc.message.removeprefix("timezone: ")
        raise InvalidInput(words[:1].upper() + words[1:], field="timezone") from None
    unknown = set(weekly) - set(WEEKDAYS)
    if unknown:
        day = sorted(unknown)[0]
        raise InvalidInput(f"{day!r} is not a day; days are {', '.join(WEEKDAYS)}", field=f"weekly.{day}")
    clean_weekly = {
        day: _ranges(weekly.get(day) or [], field=f"weekly.{day}", label=DAY_NAMES[day]) for day in WEEKDAYS
    }
    clean_overrides = None
    if overrides is not None:
        clean_overrides = {}
        for key, ranges in overrides.items():
            try:
                day = _date({"overrides": key}, "overrides")
            except InvalidInput as exc:
                raise InvalidInput(f"Date override{exc.message.removeprefix('overrides')}", field="overrides") from None
            if day is None:
                raise InvalidInput("Each date override needs a date (YYYY-MM-DD)", field="overrides")
            clean_overrides[day] = _ranges(ranges or [], field=f"overrides.{day}", label=day.isoformat())
    with transaction.atomic():
        schedule.timezone = zone
        schedule.weekly = clean_weekly
        schedule.save(update_fields=["timezone", "weekly"])
        if daylight is not KEEP:
            schedule_seasons_set(schedule=schedule, daylight=cast(dict | None, daylight), now=now)
        if clean_overrides is not None:
            schedule.overrides.all().delete()
            DateOverride.objects.bulk_create(
                [DateOverride(schedule=schedule, date=d, intervals=r) for d, r in sorted(clean_overrides.items())]
            )
    return schedule


def _ranges(ranges, *, field: str, label: str | None = None) -> list[list[str]]:
    """Validated ["HH:MM", "HH:MM"] pairs, sorted; overlaps are named the way the host wrote them. Messages
    start with `label` (words, e.g. Monday)."""
    label = label or DAY_NAMES.get(field.rsplit(".", 1)[-1], field)
    if not isinstance(ranges, (list, tuple)):
        raise InvalidInput(f"{label}: give a list of ranges like 09:00-17:00", field=field)
    parsed = []
    for i, item in enumerate(ranges):
        (r,) = selectors.parse_ranges([item], field=f"{field}[{i}]", label=label)
        parsed.append([_hhmm(r.start), _hhmm(r.end)])
    parsed.sort()
    for a, b in zip(parsed, parsed[1:], strict=False):
        if a[1] > b[0]:
            raise InvalidInput(f"{label}: the ranges {a[0]}-{a[1]} and {b[0]}-{b[1]} overlap", field=field)
    return parsed


def _hhmm(t) -> str:
    return "24:00" if t is None else f"{t.hour:02d}:{t.minute:02d}"


MAX_POOL_WEIGHT = 1000


def pool_set(*, event_type: EventType, hosts: list[tuple]) -> list[PoolHost]:
    """Replace a team event's pool with these (membership, priority 0..4[, weight 1..1000]) tuples. Priority
    decides who is offered first; weight shares bookings out under equal distribution (200 gets twice 100's)."""
    team = event_type.team
    if team is None:
        raise InvalidInput("Only team events have a pool of hosts", field="pool")
    members = set(team.members.values_list("pk", flat=True))
    seen = set()
    rows = []
    for entry in hosts:
        m, priority, weight = (*entry, 100)[:3]
        name = m.user.name or m.user.email if hasattr(m, "user") else m.slug
        if m.pk not in members:
            raise InvalidInput(f"{name} is not a member of {team.name}; add them to the team first", field="pool")
        if m.pk in seen:
            raise InvalidInput(f"{name} is listed twice in the pool", field="pool")
        seen.add(m.pk)
        try:
            priority, weight = int(priority), int(weight)
        except (TypeError, ValueError):
            raise InvalidInput(
                f"Give {name} a priority from 0 to 4 and a weight from 1 to {MAX_POOL_WEIGHT}", field="pool"
            ) from None
        if not 0 <= priority <= 4:
            raise InvalidInput(f"{name}'s priority must be from 0 (lowest) to 4 (highest)", field="pool")
        if not 1 <= weight <= MAX_POOL_WEIGHT:
            raise InvalidInput(
                f"{name}'s weight must be from 1 to {MAX_POOL_WEIGHT} (100 is an equal share)", field="pool"
            )
        rows.append(PoolHost(event_type=event_type, membership=m, priority=priority, weight=weight))
    with transaction.atomic():
        # A host who stays keeps their hours for this event (an approved join request's schedule).
        kept = dict(PoolHost.objects.filter(event_type=event_type).values_list("membership_id", "schedule_id"))
        for row in rows:
            row.schedule_id = kept.get(row.membership_id)
        PoolHost.objects.filter(event_type=event_type).delete()
        return PoolHost.objects.bulk_create(rows)


def star_set(*, membership: Membership, event_type: EventType, starred: bool, now: datetime) -> bool:
    """Star or unstar an event type for one host (idempotent); returns whether it is now starred.
    Stars are shared by the dashboard, the API and the browser extension."""
    from .models import EventTypeStar

    if event_type.organization_id != membership.organization_id:
        raise NotFound("no such event type in your organization")
    if starred:
        EventTypeStar.objects.get_or_create(membership=membership, event_type=event_type, defaults={"created_at": now})
    else:
        EventTypeStar.objects.filter(membership=membership, event_type=event_type).delete()
    return starred


def _clean_team(*, organization: Organization, name: str, slug: str, timezone: str, team: Team | None) -> dict:
    name = clean_name(name or "", field="name")
    if not name:
        raise InvalidInput("Give the team a name, such as Support", field="name")
    slug = slugify(slug or name)[:64]
    if not slug:
        raise InvalidInput("The team's web address needs a letter or digit; choose another name", field="slug")
    clash = Team.objects.filter(organization=organization, slug=slug)
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise InvalidInput(f"/team/{slug}/ is already the address of another team; choose another", field="slug")
    try:
        validate_zone(timezone, field="timezone")
    except InvalidInput:
        raise InvalidInput(
            "Choose the team's time zone from the list, such as Europe/Berlin", field="timezone"
        ) from None
    return {"name": name, "slug": slug, "timezone": timezone}


def team_create(*, actor: Membership, name: str, timezone: str, slug: str = "") -> Team:
    """A team of the actor's organization; its event types' start times align to `timezone`."""
    if not actor.is_admin:
        raise PermissionDenied("Only owners and admins create teams")
    values = _clean_team(organization=actor.organization, name=name, slug=slug, timezone=timezone, team=None)
    return Team.objects.create(organization=actor.organization, **values)


def team_update(*, actor: Membership, team: Team, name: str, timezone: str, slug: str = "") -> Team:
    """Rename a team or change its zone. Its booking pages move with the slug: old links stop working."""
    if actor.organization_id != team.organization_id or not actor.is_admin:
        raise PermissionDenied("Only owners and admins change teams")
    values = _clean_team(
        organization=team.organization, name=name, slug=slug or team.slug, timezone=timezone, team=team
    )
    Team.objects.filter(pk=team.pk).update(**values)
    for k, v in values.items():
        setattr(team, k, v)
    return team


def team_delete(*, actor: Membership, team: Team) -> None:
    """Delete a team without event types; one with event types says which to move or delete first."""
    if actor.organization_id != team.organization_id or not actor.is_admin:
        raise PermissionDenied("Only owners and admins delete teams")
    names = list(team.event_types.values_list("name", flat=True)[:5])
    if names:
        raise InvalidInput(f"{team.name} still has event types ({', '.join(names)}): delete them first", field="team")
    team.delete()


def team_members_set(*, actor: Membership, team: Team, members: list[Membership]) -> Team:
    """Set a team's members. Here rather than in accounts because a host who leaves the team leaves its
    event pools too, and pools are scheduling's."""
    if actor.organization_id != team.organization_id or not actor.is_admin:
        raise PermissionDenied("Only owners and admins change teams")
    strangers = [m.slug for m in members if m.organization_id != team.organization_id]
    if strangers:
        raise InvalidInput(f"{strangers[0]} is not in this organization", field="members")
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
        "organization_id": owner.organization_id,
        "name": clean_name(name, field="name", max_length=None)[:200] or "Imported meeting",
        "duration_minutes": min(max(duration_minutes, 1), 1440),
        "active": False,
        "secret": True,
        "external_source": source,
        "external_uri": uri[:500],
        "location_kind": EventType.LocationKind.CUSTOM,
        "window_kind": EventType.WindowKind.UNLIMITED,
    }
    event_type, _ = EventType.objects.get_or_create(owner=owner, slug=slug, defaults=defaults)
    return event_type


# --- requests to join a pool (the seed's "Support Call Inclusion Request") -------------------------------


def _clean_hours(*, timezone: str, weekly: dict, daylight: dict | None, now: datetime) -> dict:
    """A request's hours, validated as a schedule's are (same words); daylight hours only where the zone
    keeps daylight saving time."""
    try:
        zone = validate_zone(timezone, field="timezone")
    except InvalidInput:
        raise InvalidInput("Choose your time zone from the list, such as Europe/Berlin", field="timezone") from None
    unknown = set(weekly) - set(WEEKDAYS)
    if unknown:
        day = sorted(unknown)[0]
        raise InvalidInput(f"{day!r} is not a day; days are {', '.join(WEEKDAYS)}", field=f"weekly.{day}")
    clean = {day: _ranges(weekly.get(day) or [], field=f"weekly.{day}", label=DAY_NAMES[day]) for day in WEEKDAYS}
    if not any(clean.values()):
        raise InvalidInput("Give the hours you will take these calls, such as Monday 09:00-17:00", field="weekly")
    clean_daylight = None
    if daylight is not None:
        today = now.date()
        if not engine.zone_has_daylight(zone, today, today + timedelta(days=366)):
            raise InvalidInput(
                f"{zone} keeps no daylight saving time, so one set of hours is all it needs",
                field="weekly_daylight",
            )
        clean_daylight = {
            day: _ranges(
                daylight.get(day) or [], field=f"weekly_daylight.{day}", label=f"{DAY_NAMES[day]} (daylight time)"
            )
            for day in WEEKDAYS
        }
    return {"timezone": zone, "weekly": clean, "weekly_daylight": clean_daylight}


def pool_request_create(
    *,
    membership: Membership,
    event_type: EventType,
    timezone: str,
    weekly: dict,
    daylight: dict | None = None,
    note: str = "",
    now: datetime,
) -> PoolJoinRequest:
    """A member asks to host a team event with these hours. Admins hear of it (pool_request.created)."""
    if event_type.team_id is None or event_type.organization_id != membership.organization_id:
        raise InvalidInput("Only team events of your organization have a pool to join", field="event_type")
    if PoolHost.objects.filter(event_type=event_type, membership=membership).exists():
        raise Conflict(f"You already host {event_type.name}")
    hours = _clean_hours(timezone=timezone, weekly=weekly, daylight=daylight, now=now)
    note = clean_text(note, field="note", max_length=2000, multiline=True)
    try:
        with transaction.atomic():
            request = PoolJoinRequest.objects.create(
                event_type=event_type, membership=membership, note=note, created_at=now, **hours
            )
            publish("pool_request.created", request=request, now=now)
    except IntegrityError:
        raise Conflict(f"You already asked to host {event_type.name}; an admin has not decided yet") from None
    return request


def pool_request_decide(
    *,
    actor: Membership,
    request: PoolJoinRequest,
    approve: bool,
    now: datetime,
    priority: int = 2,
    weight: int = 100,
    reason: str = "",
) -> PoolJoinRequest:
    """Approve: the stated hours become the member's schedule for this event, and they join the team and the
    pool with `priority` and `weight` (pool_set's rules). Decline: with an optional reason. The member
    hears either way (pool_request.decided)."""
    if actor.organization_id != request.event_type.organization_id or not actor.is_admin:
        raise PermissionDenied("Only owners and admins decide who hosts a team event")
    reason = clean_text(reason, field="reason", max_length=1000, multiline=True)
    with transaction.atomic():
        req = (
            PoolJoinRequest.objects.select_for_update(of=("self",))
            .select_related("event_type__team", "membership__user")
            .get(pk=request.pk)
        )
        if req.status != PoolJoinRequest.Status.PENDING:
            raise Conflict(f"This request was already {req.status}")
        member = req.membership
        if member.deactivated_at is not None:
            raise Conflict(f"{member.user} is no longer a member")
        if approve:
            event_type, team = req.event_type, cast(Team, req.event_type.team)
            team.members.add(member)
            hosts = [
                (p.membership, p.priority, p.weight)
                for p in PoolHost.objects.filter(event_type=event_type).select_related("membership__user")
            ]
            pool_set(event_type=event_type, hosts=[*hosts, (member, priority, weight)])
            schedule = AvailabilitySchedule.objects.create(
                organization=event_type.organization,
                owner=member,
                name=f"{event_type.name} hours"[:100],
                timezone=req.timezone,
                weekly=req.weekly,
                weekly_daylight=req.weekly_daylight,
            )
            PoolHost.objects.filter(event_type=event_type, membership=member).update(schedule=schedule)
        req.status = PoolJoinRequest.Status.APPROVED if approve else PoolJoinRequest.Status.DECLINED
        req.decided_at, req.decided_by, req.reason = now, actor, reason
        req.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        publish("pool_request.decided", request=req, now=now)
    return req
