"""Slotwise extra: a host's own rules across all their event types, the same ones as the availability page
and the load file (scheduling.services): booking limits, out-of-office dates with an optional redirect, and
travel stays in another zone.

GET    /users/{uuid}/availability_rules        all three
PUT    /users/{uuid}/limits                    set the five limits (null for none)
POST   /users/{uuid}/out_of_office             add an absence;  DELETE /users/{uuid}/out_of_office/{id}
POST   /users/{uuid}/travel                    add a stay;      DELETE /users/{uuid}/travel/{id}

Anyone may read a teammate's rules; a host changes their own, an owner or admin anyone's."""

from ninja import Field, Path, Router, Schema, Status

from slotwise.accounts.models import Membership
from slotwise.core.errors import PermissionDenied
from slotwise.scheduling import services as scheduling
from slotwise.scheduling.models import HostLimits

from ..base import UUID_RE, require_write, responses, uri, uri_re, uuid_of
from .users import member_by_user_uuid

router = Router(tags=["availability rules"])

LIMIT_KEYS = tuple(scheduling.LIMIT_WORDS)


class HostLimitValues(Schema):
    daily_limit: int | None = None
    weekly_limit: int | None = None
    monthly_limit: int | None = None
    daily_minutes_limit: int | None = None
    weekly_minutes_limit: int | None = None


class HostAbsence(Schema):
    id: int
    first: str
    last: str
    reason: str
    redirect_to: str | None


class HostStay(Schema):
    id: int
    timezone: str
    first: str
    last: str


class HostRules(Schema):
    user: str
    timezone: str
    limits: HostLimitValues
    out_of_office: list[HostAbsence]
    travel: list[HostStay]


class HostRulesResource(Schema):
    resource: HostRules


class HostAbsenceResource(Schema):
    resource: HostAbsence


class HostStayResource(Schema):
    resource: HostStay


class HostAbsenceBody(Schema):
    first: str = Field(..., description="first local day away, YYYY-MM-DD")
    last: str = Field(..., description="last local day away, YYYY-MM-DD")
    reason: str = ""
    redirect_to: str | None = Field(None, pattern=uri_re("users"), description="a teammate's user uri")


class HostStayBody(Schema):
    timezone: str = Field(..., description="an IANA time zone such as Asia/Tokyo")
    first: str
    last: str


def _host(request, uuid: str, *, write: bool) -> Membership:
    member = member_by_user_uuid(request, uuid_of(uuid, "users", field="uuid"))
    if write:
        require_write(request)
        me = request.auth.membership
        if member.pk != me.pk and not me.is_admin:
            raise PermissionDenied("Only owners and admins can change a teammate's availability rules")
    return member


def _absence(a) -> dict:
    return {
        "id": a.pk,
        "first": a.first.isoformat(),
        "last": a.last.isoformat(),
        "reason": a.reason,
        "redirect_to": uri("users", a.redirect_to.user.uuid) if a.redirect_to_id else None,
    }


def _stay(s) -> dict:
    return {"id": s.pk, "timezone": s.timezone, "first": s.first.isoformat(), "last": s.last.isoformat()}


def rules_dict(m: Membership) -> dict:
    row = HostLimits.objects.filter(membership=m).first()
    return {
        "user": uri("users", m.user.uuid),
        "timezone": m.user.timezone,
        "limits": {k: getattr(row, k) if row else None for k in LIMIT_KEYS},
        "out_of_office": [_absence(a) for a in m.absences.select_related("redirect_to__user")],
        "travel": [_stay(s) for s in m.stays.all()],
    }


@router.get(
    "/users/{uuid}/availability_rules",
    response=responses(200, HostRulesResource),
    summary="A host's limits, out-of-office dates and travel (Slotwise extra)",
)
def get_rules(request, uuid: str = Path(..., pattern=UUID_RE)):
    return {"resource": rules_dict(_host(request, uuid, write=False))}


@router.put(
    "/users/{uuid}/limits",
    response=responses(200, HostRulesResource),
    summary="Set a host's booking limits across all their event types (Slotwise extra)",
)
def put_limits(request, body: HostLimitValues, uuid: str = Path(..., pattern=UUID_RE)):
    host = _host(request, uuid, write=True)
    scheduling.host_limits_set(host=host, values=body.dict())
    return {"resource": rules_dict(host)}


@router.post(
    "/users/{uuid}/out_of_office",
    response=responses(201, HostAbsenceResource),
    summary="Add out-of-office dates for a host (Slotwise extra)",
)
def add_absence(request, body: HostAbsenceBody, uuid: str = Path(..., pattern=UUID_RE)):
    host = _host(request, uuid, write=True)
    mate = None
    if body.redirect_to:
        mate = member_by_user_uuid(request, uuid_of(body.redirect_to, "users", field="redirect_to"))
    absence = scheduling.out_of_office_add(
        host=host, first=body.first, last=body.last, reason=body.reason, redirect_to=mate
    )
    return Status(201, {"resource": _absence(absence)})


@router.delete(
    "/users/{uuid}/out_of_office/{absence_id}",
    response=responses(204, None),
    summary="Remove out-of-office dates (Slotwise extra)",
)
def remove_absence(request, absence_id: int, uuid: str = Path(..., pattern=UUID_RE)):
    scheduling.out_of_office_remove(host=_host(request, uuid, write=True), absence_id=absence_id)
    return Status(204, None)


@router.post(
    "/users/{uuid}/travel",
    response=responses(201, HostStayResource),
    summary="Add a stay in another time zone for a host (Slotwise extra)",
)
def add_stay(request, body: HostStayBody, uuid: str = Path(..., pattern=UUID_RE)):
    host = _host(request, uuid, write=True)
    stay = scheduling.travel_add(host=host, timezone=body.timezone, first=body.first, last=body.last)
    return Status(201, {"resource": _stay(stay)})


@router.delete(
    "/users/{uuid}/travel/{stay_id}",
    response=responses(204, None),
    summary="Remove a travel stay (Slotwise extra)",
)
def remove_stay(request, stay_id: int, uuid: str = Path(..., pattern=UUID_RE)):
    scheduling.travel_remove(host=_host(request, uuid, write=True), stay_id=stay_id)
    return Status(204, None)
