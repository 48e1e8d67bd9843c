"""POST /scheduling_links (Calendly v2, shape unchanged), and Slotwise extras beside it: list, get and revoke
single-use links. The browser extension's calls live under /api/apps/extension/v1/: the legacy
POST users/me/event_type_single_use_links (form `event_type_uuid`, X-TOKEN; optional expiry and prefill) and
GET users/me/event_types. Every write goes through slotwise.bookings.links."""

from typing import Literal

from django.conf import settings
from ninja import Field, Form, Path, Query, Router, Schema, Status

from slotwise.accounts.models import Membership
from slotwise.bookings import links
from slotwise.bookings.models import SingleUseLink
from slotwise.core.errors import NotFound
from slotwise.scheduling import selectors as scheduling_selectors

from ..base import (
    UUID_RE,
    JsonInt,
    Pagination,
    idempotent,
    paginate,
    require_write,
    responses,
    ts,
    uri,
    uri_re,
    uuid_of,
)
from .event_types import event_type_by_uuid

router = Router(tags=["scheduling_links"])
extension = Router(tags=["extension"])


class LinkBody(Schema):
    max_event_count: JsonInt = Field(..., ge=1, le=1000)
    owner: str = Field(..., pattern=uri_re("event_types"))
    owner_type: Literal["EventType"] = "EventType"


class Link(Schema):
    booking_url: str
    owner: str
    owner_type: str


class LinkResource(Schema):
    resource: Link


def booking_url(link: SingleUseLink) -> str:
    return f"{settings.BASE_URL}/d/{link.token}/"


def _create(request, event_type_value: str, *, field: str, max_event_count: int = 1, **extra) -> SingleUseLink:
    require_write(request)
    et = event_type_by_uuid(request, event_type_value, field=field)
    return links.link_create(
        event_type=et, created_by=request.auth.membership, now=request.now, max_event_count=max_event_count, **extra
    )


@router.post("/scheduling_links", response=responses(201, LinkResource), summary="A single-use scheduling link")
@idempotent
def create(request, body: LinkBody):
    link = _create(request, body.owner, field="owner", max_event_count=body.max_event_count)
    return Status(201, {"resource": {"booking_url": booking_url(link), "owner": body.owner, "owner_type": "EventType"}})


# ---- Slotwise extras: managed links --------------------------------------------------------------------


class Prefill(Schema):
    name: str
    email: str
    reference: str


class ManagedLink(Schema):
    uri: str
    booking_url: str
    owner: str
    owner_type: str
    owner_name: str
    max_event_count: int
    uses: int
    state: Literal["unused", "used", "expired", "revoked"]
    expires_at: str | None
    revoked_at: str | None
    created_at: str
    created_by: str | None
    prefill: Prefill
    scheduled_events: list[str]


class ManagedLinkResource(Schema):
    resource: ManagedLink


class ManagedLinkCollection(Schema):
    collection: list[ManagedLink]
    pagination: Pagination


def managed_link_dict(link: SingleUseLink, now) -> dict:
    return {
        "uri": uri("scheduling_links", link.uuid),
        "booking_url": booking_url(link),
        "owner": uri("event_types", link.event_type.uuid),
        "owner_type": "EventType",
        "owner_name": link.event_type.name,
        "max_event_count": link.max_event_count,
        "uses": link.uses,
        "state": link.state(now),
        "expires_at": ts(link.expires_at),
        "revoked_at": ts(link.revoked_at),
        "created_at": ts(link.created_at),
        "created_by": uri("users", link.created_by.user.uuid) if link.created_by else None,
        "prefill": {"name": link.prefill_name, "email": link.prefill_email, "reference": link.reference},
        "scheduled_events": [uri("scheduled_events", b.uid) for b in link.bookings.order_by("created_at")],
    }


@router.get(
    "/scheduling_links",
    response=responses(200, ManagedLinkCollection),
    summary="Single-use links (Slotwise extra): yours by default; by event type, sender or state",
)
def list_links(
    request,
    user: str | None = Query(
        None, pattern=uri_re("users"), description="The sender; default: you, unless event_type is given"
    ),
    event_type: str | None = Query(None, pattern=uri_re("event_types")),
    state: Literal["unused", "used", "expired", "revoked"] | None = None,
    count: int = Query(20, ge=1, le=100),
    page_token: str | None = None,
):
    me = request.auth.membership
    sender = None
    if user:
        sender = (
            Membership.objects.active()
            .filter(organization=me.organization, user__uuid=uuid_of(user, "users", field="user"))
            .first()
        )
        if sender is None:
            raise NotFound("user: no such user in your organization")
    elif not event_type:
        sender = me
    et = event_type_by_uuid(request, event_type, field="event_type") if event_type else None
    qs = links.link_list(membership=me, now=request.now, event_type=et, created_by=sender, state=state)
    return paginate(
        request,
        qs,
        order="-created_at",
        count=count,
        page_token=page_token,
        serialize=lambda link: managed_link_dict(link, request.now),
    )


@router.get(
    "/scheduling_links/{uuid}",
    response=responses(200, ManagedLinkResource),
    summary="One single-use link (Slotwise extra)",
)
def get_link(request, uuid: str = Path(..., pattern=UUID_RE)):
    link = links.link_get(membership=request.auth.membership, uuid=uuid_of(uuid, "scheduling_links", field="uuid"))
    return {"resource": managed_link_dict(link, request.now)}


@router.post(
    "/scheduling_links/{uuid}/revoke",
    response=responses(200, ManagedLinkResource),
    summary="Revoke a single-use link (Slotwise extra): it books nothing any more",
)
def revoke_link(request, uuid: str = Path(..., pattern=UUID_RE)):
    require_write(request)
    link = links.link_get(membership=request.auth.membership, uuid=uuid_of(uuid, "scheduling_links", field="uuid"))
    link = links.link_revoke(link=link, by=request.auth.membership, now=request.now)
    return {"resource": managed_link_dict(link, request.now)}


# ---- the browser extension's API ------------------------------------------------------------------------


class ExtensionLink(Schema):
    booking_url: str


@extension.post(
    "/users/me/event_type_single_use_links",
    response=responses(201, ExtensionLink),
    summary="The browser extension's single-use link (X-TOKEN header)",
)
@idempotent
def extension_link(
    request,
    event_type_uuid: str = Form(..., pattern=UUID_RE),
    expires: str = Form("", max_length=40, description="7d, 24h, 90m, or an ISO 8601 instant"),
    name: str = Form("", max_length=400),
    email: str = Form("", max_length=400),
    reference: str = Form("", max_length=400),
):
    link = _create(
        request,
        event_type_uuid,
        field="event_type_uuid",
        expires_at=links.parse_expiry(expires, now=request.now),
        prefill_name=name,
        prefill_email=email,
        reference=reference,
    )
    return Status(201, {"booking_url": booking_url(link)})


class ExtensionEventType(Schema):
    uri: str
    uuid: str
    name: str
    slug: str
    active: bool
    kind: str
    team: str | None
    duration: int
    scheduling_url: str
    starred: bool


class ExtensionEventTypes(Schema):
    collection: list[ExtensionEventType]


@extension.get(
    "/users/me/event_types",
    response=responses(200, ExtensionEventTypes),
    summary="Your event types and your teams', starred first",
)
def extension_event_types(request):
    me = request.auth.membership
    starred = scheduling_selectors.starred_ids(me)
    rows = sorted(
        scheduling_selectors.event_types_of(me), key=lambda e: (e.pk not in starred, not e.active, e.name.lower(), e.pk)
    )
    return {
        "collection": [
            {
                "uri": uri("event_types", e.uuid),
                "uuid": str(e.uuid),
                "name": e.name,
                "slug": e.slug,
                "active": e.active,
                "kind": e.kind,
                "team": e.team.name if e.team_id else None,
                "duration": e.duration_minutes,
                "scheduling_url": f"{settings.BASE_URL}{e.path}",
                "starred": e.pk in starred,
            }
            for e in rows
        ]
    }
