"""GET/POST /event_types, GET/PATCH /event_types/{uuid}. Writes go through scheduling.services."""

from django.db.models import Q
from django.utils.text import slugify
from ninja import Field, Path, Query, Router, Schema, Status

from slotwise.accounts.models import Membership
from slotwise.core.errors import Conflict, InvalidInput, NotFound
from slotwise.representations import event_type_dict
from slotwise.scheduling import services as scheduling
from slotwise.scheduling.models import EventType

from ..base import (
    UUID_RE,
    JsonInt,
    Pagination,
    check_org,
    idempotent,
    paginate,
    require_write,
    responses,
    sort_order,
    sort_re,
    uri_re,
    uuid_of,
)

router = Router(tags=["event_types"])


class Profile(Schema):
    type: str
    name: str
    owner: str


class CustomQuestion(Schema):
    name: str
    type: str
    position: int
    enabled: bool
    required: bool
    answer_choices: list[str]
    include_other: bool


class EventTypeOut(Schema):
    uri: str
    name: str
    active: bool
    slug: str
    scheduling_url: str
    duration: int
    duration_options: list[int]
    kind: str
    pooling_type: str | None
    type: str
    color: str
    created_at: str
    updated_at: str
    internal_note: str | None
    description_plain: str | None
    description_html: str | None
    profile: Profile
    secret: bool
    booking_method: str
    custom_questions: list[CustomQuestion]
    deleted_at: str | None
    kind_description: str
    admin_managed: bool


class EventTypeResource(Schema):
    resource: EventTypeOut


class EventTypeCollection(Schema):
    collection: list[EventTypeOut]
    pagination: Pagination


def visible_event_types(request):
    # Imported calendars' event types (external_source) are never-bookable stand-ins: not served.
    return EventType.objects.select_related("organization", "owner__user", "team").filter(
        organization=request.auth.membership.organization, external_source=""
    )


def event_type_by_uuid(request, value: str, *, field: str = "uuid") -> EventType:
    et = visible_event_types(request).filter(uuid=uuid_of(value, "event_types", field=field)).first()
    if et is None:
        raise NotFound(f"{field}: no event type with this uuid in your organization")
    return et


def may_edit(request, et: EventType) -> None:
    from slotwise.core.errors import PermissionDenied

    me = request.auth.membership
    if not me.is_admin and et.owner_id != me.pk:
        raise PermissionDenied("Only the event type's owner or an organization admin can change it")


def hosted_by(**member) -> Q:
    """Event types a member hosts: their own, those whose pool names them, and a team's with no pool of its
    own, where every team member hosts (scheduling.selectors.event_hosts). `member` is a lookup on Membership
    (user__uuid=..., pk=...). Calendly lists the shared event types a user is a pool member of under ?user=."""

    def on(prefix: str) -> Q:
        return Q(**{f"{prefix}__{k}": v for k, v in member.items()})

    return on("owner") | on("pool__membership") | (on("team__members") & Q(pool__isnull=True))


@router.get("/event_types", response=responses(200, EventTypeCollection), summary="Event types")
def list_event_types(
    request,
    organization: str | None = Query(None, pattern=uri_re("organizations")),
    user: str | None = Query(None, pattern=uri_re("users")),
    active: bool | None = None,
    sort: str | None = Query(None, pattern=sort_re("name", "created_at")),
    count: int = Query(20, ge=1, le=100),
    page_token: str | None = None,
):
    check_org(request, organization)
    qs = visible_event_types(request)
    if user:
        user_uuid = uuid_of(user, "users", field="user")
        if not Membership.objects.filter(
            organization=request.auth.membership.organization, user__uuid=user_uuid
        ).exists():
            raise NotFound("user: no such user in your organization")
        qs = qs.filter(hosted_by(user__uuid=user_uuid)).distinct()
    elif not organization:
        # Calendly needs one of user or organization; with neither, the token's own user is meant.
        qs = qs.filter(hosted_by(pk=request.auth.membership.pk)).distinct()
    if active is not None:
        qs = qs.filter(active=active)
    order = sort_order(sort, allowed={"name": "name", "created_at": "created_at"}, default="created_at")
    return paginate(request, qs, order=order, count=count, page_token=page_token, serialize=event_type_dict)


@router.get("/event_types/{uuid}", response=responses(200, EventTypeResource), summary="One event type")
def get_event_type(request, uuid: str = Path(..., pattern=UUID_RE)):
    return {"resource": event_type_dict(event_type_by_uuid(request, uuid))}


class EventTypeCreate(Schema):
    name: str = Field(..., min_length=1, max_length=200, pattern=r"\S")
    owner: str | None = Field(
        None, pattern=uri_re("users"), description="The host's user uri; default: the token's user"
    )
    duration: JsonInt = Field(30, ge=1, le=1440)
    slug: str | None = Field(None, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)
    description: str | None = Field(None, max_length=5000)
    color: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")
    active: bool = True
    secret: bool = False


class EventTypeUpdate(Schema):
    name: str | None = Field(None, min_length=1, max_length=200, pattern=r"\S")
    duration: JsonInt | None = Field(None, ge=1, le=1440)
    slug: str | None = Field(None, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)
    description: str | None = Field(None, max_length=5000)
    color: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")
    active: bool | None = None
    secret: bool | None = None


def _values(body: Schema) -> dict:
    names = {"duration": "duration_minutes"}
    return {names.get(k, k): v for k, v in body.dict(exclude_unset=True).items() if k != "owner" and v is not None}


@router.post("/event_types", response=responses(201, EventTypeResource), summary="Create a one-on-one event type")
@idempotent
def create_event_type(request, body: EventTypeCreate):
    require_write(request)
    me = request.auth.membership
    owner = me
    if body.owner:
        owner = (
            Membership.objects.active()
            .filter(organization=me.organization, user__uuid=uuid_of(body.owner, "users", field="owner"))
            .first()
        )
        if owner is None:
            raise NotFound("owner: no such user in your organization")
        if owner.pk != me.pk and not me.is_admin:
            from slotwise.core.errors import PermissionDenied

            raise PermissionDenied("Only an organization admin can create event types for someone else")
    values = _values(body)
    slug = slugify(values.get("slug") or values.get("name", ""))[:64]
    if EventType.objects.filter(owner=owner, slug=slug).exists():
        raise Conflict(f"slug: {owner.slug} already has an event type at {slug!r}; choose another slug", field="slug")
    if values.get("duration_minutes") is not None and not 1 <= values["duration_minutes"] <= 1440:
        raise InvalidInput("duration: give minutes from 1 to 1440", field="duration")
    et = scheduling.event_type_create(organization=me.organization, owner=owner, values=values, now=request.now)
    return Status(201, {"resource": event_type_dict(event_type_by_uuid(request, str(et.uuid)))})


@router.patch("/event_types/{uuid}", response=responses(200, EventTypeResource), summary="Change an event type")
def update_event_type(request, body: EventTypeUpdate, uuid: str = Path(..., pattern=UUID_RE)):
    require_write(request)
    et = event_type_by_uuid(request, uuid)
    may_edit(request, et)
    scheduling.event_type_update(event_type=et, values=_values(body), now=request.now)
    return {"resource": event_type_dict(event_type_by_uuid(request, uuid))}
