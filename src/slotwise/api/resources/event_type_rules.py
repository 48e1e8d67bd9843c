"""Slotwise extra beside Calendly's event type (whose shape is unchanged): its booking limits, the
invitees' cancel/reschedule cut-off and its recurrence (recurring bookings). GET and PATCH /event_types/{uuid}/rules."""

from ninja import Field, Path, Router, Schema

from slotwise.scheduling import services as scheduling

from ..base import UUID_RE, JsonInt, require_write, responses, uri
from .event_types import event_type_by_uuid, may_edit

router = Router(tags=["event_types"])

# API name -> model field; null means no limit.
LIMITS = {
    "per_day": "daily_limit",
    "per_week": "weekly_limit",
    "per_month": "monthly_limit",
    "minutes_per_day": "daily_minutes_limit",
    "minutes_per_week": "weekly_minutes_limit",
}


class Limits(Schema):
    per_day: int | None
    per_week: int | None
    per_month: int | None
    minutes_per_day: int | None
    minutes_per_week: int | None


class Recurrence(Schema):
    every: str = Field(description="none, weekly or biweekly: a booking is a series of meetings at that time")
    count: int = Field(description="Meetings in a series (2-24)")
    partial: bool = Field(description="A series may skip the meetings the host cannot take; false: all or nothing")


class RecurrenceIn(Schema):
    every: str | None = None
    count: JsonInt | None = None
    partial: bool | None = None


class Rules(Schema):
    event_type: str
    limits: Limits
    recurrence: Recurrence
    cutoff_hours: int | None = Field(
        description="Invitees cannot cancel or reschedule within this many hours of "
        "the start (hosts can); null: until it starts"
    )
    week_start: int = Field(
        description="The weekday weekly limits count from: 0 Monday .. 6 Sunday (the organization's)"
    )


class RulesResource(Schema):
    resource: Rules


class LimitsIn(Schema):
    per_day: JsonInt | None = None
    per_week: JsonInt | None = None
    per_month: JsonInt | None = None
    minutes_per_day: JsonInt | None = None
    minutes_per_week: JsonInt | None = None


class RulesUpdate(Schema):
    limits: LimitsIn | None = None
    cutoff_hours: JsonInt | None = None
    recurrence: RecurrenceIn | None = None


def _rules(et) -> dict:
    return {
        "event_type": uri("event_types", et.uuid),
        "limits": {name: getattr(et, field) for name, field in LIMITS.items()},
        "cutoff_hours": et.cutoff_hours,
        "recurrence": {
            "every": et.recurrence or "none",
            "count": et.recurrence_count,
            "partial": et.recurrence_partial,
        },
        "week_start": et.organization.week_start,
    }


@router.get(
    "/event_types/{uuid}/rules",
    response=responses(200, RulesResource),
    summary="An event type's limits and cut-off (Slotwise extra)",
)
def get_rules(request, uuid: str = Path(..., pattern=UUID_RE)):
    return {"resource": _rules(event_type_by_uuid(request, uuid))}


@router.patch(
    "/event_types/{uuid}/rules",
    response=responses(200, RulesResource),
    summary="Change an event type's limits and cut-off (Slotwise extra); null removes one",
)
def update_rules(request, body: RulesUpdate, uuid: str = Path(..., pattern=UUID_RE)):
    require_write(request)
    et = event_type_by_uuid(request, uuid)
    may_edit(request, et)
    given = body.dict(exclude_unset=True)
    values = {LIMITS[k]: v for k, v in (given.get("limits") or {}).items()}
    if "cutoff_hours" in given:
        values["cutoff_hours"] = given["cutoff_hours"]
    names = {"every": "recurrence", "count": "recurrence_count", "partial": "recurrence_partial"}
    values.update({names[k]: v for k, v in (given.get("recurrence") or {}).items()})
    scheduling.event_type_update(event_type=et, values=values, now=request.now)
    return {"resource": _rules(event_type_by_uuid(request, uuid))}
