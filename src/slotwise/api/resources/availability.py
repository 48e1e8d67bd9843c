"""Availability reads: /event_type_available_times, /user_busy_times, /user_availability_schedules, and
the Slotwise extra /event_type_available_times/explain (why a time is not offered)."""

from datetime import timedelta

from django.conf import settings
from ninja import Path, Query, Router, Schema

from slotwise import engine
from slotwise.bookings import availability
from slotwise.bookings.models import BookingHost
from slotwise.core.errors import InvalidInput, NotFound
from slotwise.core.instants import parse_instant
from slotwise.scheduling import reasons as reason_words
from slotwise.scheduling import selectors
from slotwise.scheduling.models import WEEKDAYS, AvailabilitySchedule, BusyBlock

from ..base import UUID_RE, Instant, responses, ts, uri, uri_re, uuid_of
from .event_types import event_type_by_uuid
from .users import member_by_user_uuid

router = Router(tags=["availability"])

MAX_RANGE = timedelta(days=31)
DAY_NAMES = dict(
    zip(WEEKDAYS, ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), strict=True)
)


class AvailableTime(Schema):
    status: str
    invitees_remaining: int
    start_time: str
    scheduling_url: str


class AvailableTimes(Schema):
    collection: list[AvailableTime]


class BusyEvent(Schema):
    uri: str


class BusyTime(Schema):
    type: str
    start_time: str
    end_time: str
    buffered_start_time: str | None = None
    buffered_end_time: str | None = None
    event: BusyEvent | None = None


class BusyTimes(Schema):
    collection: list[BusyTime]


class Rule(Schema):
    type: str
    intervals: list[dict]
    wday: str | None = None
    date: str | None = None


class Schedule(Schema):
    uri: str
    default: bool
    name: str
    user: str
    timezone: str
    rules: list[Rule]


class Schedules(Schema):
    collection: list[Schedule]


class Explanation(Schema):
    start_time: str
    offered: bool
    reasons: list[str]
    messages: list[str]


class ExplanationResource(Schema):
    resource: Explanation


def _range(start_time: str, end_time: str):
    start = parse_instant(start_time, field="start_time")
    end = parse_instant(end_time, field="end_time")
    if end <= start:
        raise InvalidInput("end_time: must be after start_time", field="end_time")
    if end - start > MAX_RANGE:
        raise InvalidInput("end_time: the range can be at most 31 days", field="end_time")
    return start, end


@router.get(
    "/event_type_available_times", response=responses(200, AvailableTimes), summary="Times an event type offers"
)
def available_times(
    request,
    event_type: str = Query(..., pattern=uri_re("event_types")),
    start_time: Instant = Query(...),
    end_time: Instant = Query(...),
):
    et = event_type_by_uuid(request, event_type, field="event_type")
    start, end = _range(start_time, end_time)
    if not et.active:
        return {"collection": []}
    base = f"{settings.BASE_URL}{et.path}"
    zone = engine_zone(selectors.clock_zone(et))  # the host's clock, as Calendly's links show it
    collection = []
    for offered in availability.offered_times(event_type=et, start=start, end=end, now=request.now):
        local = offered.start.astimezone(zone)
        collection.append(
            {
                "status": "available",
                "invitees_remaining": offered.seats_left,
                "start_time": ts(offered.start),
                "scheduling_url": f"{base}{local.isoformat()}?month={local:%Y-%m}&date={local:%Y-%m-%d}",
            }
        )
    return {"collection": collection}


def engine_zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


@router.get(
    "/event_type_available_times/explain",
    response=responses(200, ExplanationResource),
    summary="Slotwise: why a start time is or is not offered",
)
def explain(
    request,
    event_type: str = Query(..., pattern=uri_re("event_types")),
    start_time: Instant = Query(...),
):
    et = event_type_by_uuid(request, event_type, field="event_type")
    start = parse_instant(start_time, field="start_time")
    hosts = selectors.event_hosts(et)
    inputs = availability.host_inputs(et, hosts, start=start, end=start + timedelta(minutes=et.duration_minutes))
    free = engine.free_hosts(inputs.rules, inputs.hosts, now=request.now, start=start)
    offered = bool(free) if inputs.mode != "all" else len(free) == len(inputs.hosts)
    reasons = []
    if not offered:
        for h in inputs.hosts:
            for r in engine.explain(inputs.rules, h, now=request.now, start=start):
                if r not in reasons:
                    reasons.append(r)
    return {
        "resource": {
            "start_time": ts(start),
            "offered": offered and et.active,
            "reasons": [str(getattr(r, "value", r)) for r in reasons],
            "messages": reason_words.for_invitee(reasons),
        }
    }


@router.get("/user_busy_times", response=responses(200, BusyTimes), summary="A user's busy times")
def busy_times(
    request,
    user: str = Query(..., pattern=uri_re("users")),
    start_time: Instant = Query(...),
    end_time: Instant = Query(...),
):
    member = member_by_user_uuid(request, uuid_of(user, "users", field="user"))
    start, end = _range(start_time, end_time)
    out = []
    for blk in (
        BookingHost.objects.filter(membership=member, active=True, block_end__gt=start, block_start__lt=end)
        .select_related("booking")
        .order_by("block_start")
    ):
        b = blk.booking
        out.append(
            {
                "type": "calendly",
                "start_time": ts(b.start),
                "end_time": ts(b.end),
                "buffered_start_time": ts(blk.block_start),
                "buffered_end_time": ts(blk.block_end),
                "event": {"uri": uri("scheduled_events", b.uid)},
            }
        )
    for busy in BusyBlock.objects.filter(membership=member, end__gt=start, start__lt=end).order_by("start"):
        out.append({"type": "external", "start_time": ts(busy.start), "end_time": ts(busy.end)})
    out.sort(key=lambda x: x["start_time"])
    return {"collection": out}


def _intervals(ranges) -> list[dict]:
    out = []
    for r in ranges or []:
        a, b = r.split("-") if isinstance(r, str) else r
        out.append({"from": str(a).strip(), "to": str(b).strip()})
    return out


def schedule_dict(s: AvailabilitySchedule) -> dict:
    rules = [
        {"type": "wday", "wday": DAY_NAMES[d], "intervals": _intervals(s.weekly.get(d, [])), "date": None}
        for d in WEEKDAYS
    ]
    rules += [
        {"type": "date", "date": o.date.isoformat(), "intervals": _intervals(o.intervals), "wday": None}
        for o in s.overrides.all()
    ]
    return {
        "uri": uri("user_availability_schedules", s.uuid),
        "default": s.is_default,
        "name": s.name,
        "user": uri("users", s.owner.user.uuid),
        "timezone": s.timezone,
        "rules": rules,
    }


class ScheduleResource(Schema):
    resource: Schedule


@router.get(
    "/user_availability_schedules", response=responses(200, Schedules), summary="A user's availability schedules"
)
def schedules(request, user: str | None = Query(None, pattern=uri_re("users"))):
    member = request.auth.membership
    if user:
        member = member_by_user_uuid(request, uuid_of(user, "users", field="user"))
    qs = (
        AvailabilitySchedule.objects.filter(owner=member)
        .select_related("owner__user")
        .prefetch_related("overrides")
        .order_by(*selectors.DEFAULT_FIRST)
    )
    return {"collection": [schedule_dict(s) for s in qs]}


@router.get("/user_availability_schedules/{uuid}", response=responses(200, ScheduleResource), summary="One schedule")
def schedule(request, uuid: str = Path(..., pattern=UUID_RE)):
    s = (
        AvailabilitySchedule.objects.filter(
            organization=request.auth.membership.organization,
            uuid=uuid_of(uuid, "user_availability_schedules", field="uuid"),
        )
        .select_related("owner__user")
        .prefetch_related("overrides")
        .first()
    )
    if s is None:
        raise NotFound("No availability schedule with this uuid in your organization")
    return {"resource": schedule_dict(s)}
