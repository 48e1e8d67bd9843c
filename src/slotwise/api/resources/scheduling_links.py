"""POST /scheduling_links (Calendly v2), and the browser extension's legacy call
POST /api/apps/extension/v1/users/me/event_type_single_use_links (form `event_type_uuid`, X-TOKEN)."""

from typing import Literal

from django.conf import settings
from ninja import Field, Form, Router, Schema, Status

from slotwise.bookings import services as bookings
from slotwise.bookings.models import SingleUseLink

from ..base import UUID_RE, idempotent, require_write, responses, uri_re
from .event_types import event_type_by_uuid, may_edit

router = Router(tags=["scheduling_links"])
extension = Router(tags=["extension"])


class LinkBody(Schema):
    max_event_count: int = Field(..., ge=1, le=1000)
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


def _create(request, event_type_value: str, *, field: str, max_event_count: int = 1) -> SingleUseLink:
    require_write(request)
    et = event_type_by_uuid(request, event_type_value, field=field)
    may_edit(request, et)
    return bookings.single_use_link_create(
        event_type=et, created_by=request.auth.membership, now=request.now, max_event_count=max_event_count
    )


@router.post("/scheduling_links", response=responses(201, LinkResource), summary="A single-use scheduling link")
@idempotent
def create(request, body: LinkBody):
    link = _create(request, body.owner, field="owner", max_event_count=body.max_event_count)
    return Status(201, {"resource": {"booking_url": booking_url(link), "owner": body.owner, "owner_type": "EventType"}})


class ExtensionLink(Schema):
    booking_url: str


@extension.post(
    "/users/me/event_type_single_use_links",
    response=responses(201, ExtensionLink),
    summary="The browser extension's single-use link (X-TOKEN header)",
)
@idempotent
def extension_link(request, event_type_uuid: str = Form(..., pattern=UUID_RE)):
    link = _create(request, event_type_uuid, field="event_type_uuid")
    return Status(201, {"booking_url": booking_url(link)})
