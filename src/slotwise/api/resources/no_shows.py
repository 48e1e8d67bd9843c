"""POST /invitee_no_shows, GET/DELETE /invitee_no_shows/{uuid}. Marks are written by bookings.noshow."""

from django.db import transaction
from ninja import Field, Path, Router, Schema, Status

from slotwise.bookings.models import InviteeNoShow
from slotwise.bookings.noshow import invitee_no_show_set
from slotwise.core.errors import Conflict, NotFound
from slotwise.representations import no_show_dict

from ..base import UUID_RE, idempotent, require_write, responses, uri_re, uuid_of
from .scheduled_events import invitee_by_uri

router = Router(tags=["invitee_no_shows"])


class NoShow(Schema):
    uri: str
    invitee: str
    created_at: str


class NoShowResource(Schema):
    resource: NoShow


class NoShowBody(Schema):
    invitee: str = Field(..., pattern=uri_re("invitees"))


def _by_uuid(request, value: str) -> InviteeNoShow:
    n = (
        InviteeNoShow.objects.select_related("invitee__booking")
        .filter(
            uuid=uuid_of(value, "invitee_no_shows", field="uuid"),
            invitee__booking__organization=request.auth.membership.organization,
        )
        .first()
    )
    if n is None:
        raise NotFound("No invitee no-show with this uuid in your organization")
    return n


@router.post("/invitee_no_shows", response=responses(201, NoShowResource), summary="Mark an invitee as a no-show")
@idempotent
def create(request, body: NoShowBody):
    require_write(request)
    invitee = invitee_by_uri(request, body.invitee, field="invitee")
    with transaction.atomic():
        if InviteeNoShow.objects.filter(invitee=invitee).exists():
            raise Conflict("invitee: already marked as a no-show", field="invitee")
        mark = invitee_no_show_set(invitee=invitee, no_show=True, now=request.now)
    return Status(201, {"resource": no_show_dict(mark)})


@router.get("/invitee_no_shows/{uuid}", response=responses(200, NoShowResource), summary="One no-show")
def get(request, uuid: str = Path(..., pattern=UUID_RE)):
    return {"resource": no_show_dict(_by_uuid(request, uuid))}


@router.delete("/invitee_no_shows/{uuid}", response=responses(204, None), summary="Undo a no-show")
def delete(request, uuid: str = Path(..., pattern=UUID_RE)):
    require_write(request)
    mark = _by_uuid(request, uuid)
    with transaction.atomic():
        invitee_no_show_set(invitee=mark.invitee, no_show=False, now=request.now)
    return Status(204, None)
