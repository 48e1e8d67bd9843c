"""Slotwise extra: starred event types, the same stars as the dashboard's (and the browser extension's).
GET /event_type_stars, PUT /event_types/{uuid}/star, DELETE /event_types/{uuid}/star."""

from ninja import Path, Router, Schema

from slotwise.scheduling import services as scheduling
from slotwise.scheduling.models import EventTypeStar

from ..base import UUID_RE, require_write, responses, ts, uri
from .event_types import event_type_by_uuid

router = Router(tags=["stars"])


class Star(Schema):
    event_type: str
    starred: bool
    created_at: str | None


class StarResource(Schema):
    resource: Star


class StarCollection(Schema):
    collection: list[Star]


@router.get(
    "/event_type_stars", response=responses(200, StarCollection), summary="Your starred event types (Slotwise extra)"
)
def list_stars(request):
    rows = (
        EventTypeStar.objects.filter(membership=request.auth.membership)
        .select_related("event_type")
        .order_by("created_at", "pk")
    )
    return {
        "collection": [
            {"event_type": uri("event_types", s.event_type.uuid), "starred": True, "created_at": ts(s.created_at)}
            for s in rows
        ]
    }


def _set(request, uuid: str, starred: bool) -> dict:
    require_write(request)
    et = event_type_by_uuid(request, uuid)
    me = request.auth.membership
    scheduling.star_set(membership=me, event_type=et, starred=starred, now=request.now)
    star = EventTypeStar.objects.filter(membership=me, event_type=et).first()
    return {
        "resource": {
            "event_type": uri("event_types", et.uuid),
            "starred": starred,
            "created_at": ts(star.created_at) if star else None,
        }
    }


@router.put("/event_types/{uuid}/star", response=responses(200, StarResource), summary="Star an event type")
def star(request, uuid: str = Path(..., pattern=UUID_RE)):
    return _set(request, uuid, True)


@router.delete("/event_types/{uuid}/star", response=responses(200, StarResource), summary="Unstar an event type")
def unstar(request, uuid: str = Path(..., pattern=UUID_RE)):
    return _set(request, uuid, False)
