"""Where a meeting happens, decided per booking inside the booking's transaction.

Jitsi links, fixed links, phone numbers and addresses need no network, so the booking commits with its
location. A Zoom meeting is network I/O that must not hold the booking's transaction (or fail it): the
booking commits with a pending Meeting, a job creates the Zoom meeting after the commit and writes its
join URL to the booking, and the invitation jobs wait (Defer, no attempt spent) until the link exists.
If Zoom refuses for good, the booking keeps a fallback location and the invitations go out anyway."""

import logging
import secrets
from datetime import datetime

from django.conf import settings
from django.db import transaction

from slotwise.bookings.models import Booking
from slotwise.jobs.models import Job
from slotwise.jobs.services import enqueue, handler
from slotwise.scheduling.models import EventType

from . import zoom
from .models import Meeting, ZoomGrant

log = logging.getLogger(__name__)
Kind = EventType.LocationKind

ZOOM_CREATE = "conferencing.zoom_create"
ZOOM_DELETE = "conferencing.zoom_delete"
ZOOM_FALLBACK = "Zoom (your host will send the link)"
PROVIDER: dict[str, str] = {
    Kind.VIDEO: "jitsi",
    Kind.LINK: "link",
    Kind.PHONE: "phone",
    Kind.IN_PERSON: "in_person",
    Kind.CUSTOM: "custom",
    Kind.ZOOM: "zoom",
}


def zoom_connect(*, membership, code: str, redirect_uri: str, now: datetime) -> ZoomGrant:
    """Store the host's Zoom grant from the OAuth callback (replacing an earlier one)."""
    from slotwise.core.errors import InvalidInput

    if not code:
        raise InvalidInput("code: Zoom sent no authorization code; connect Zoom again", field="code")
    try:
        tokens = zoom.exchange_code(code, redirect_uri=redirect_uri, now=now)
    except zoom.ZoomError as exc:
        raise InvalidInput(str(exc), field="code") from None
    grant, _ = ZoomGrant.objects.update_or_create(
        membership=membership,
        defaults={
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at,
            "scope": tokens.scope,
        },
    )
    return grant


def jitsi_link() -> str:
    # Unguessable: a Jitsi room is open to whoever knows its name.
    base = getattr(settings, "JITSI_BASE_URL", "https://meet.jit.si").rstrip("/")
    return f"{base}/Slotwise-{secrets.token_hex(10)}"


def resolve_location(*, booking: Booking, now: datetime) -> Meeting:
    """Give the booking its location. A second invitee of a group booking joins the meeting that exists."""
    existing = Meeting.objects.filter(booking=booking).first()
    if existing is not None:
        return existing
    kind = booking.location_kind or Kind.VIDEO
    provider = PROVIDER.get(kind, "custom")
    if kind == Kind.VIDEO:
        # A reschedule carries the old link over (booking_reschedule passes location=old.location): keep it.
        link = booking.location or jitsi_link()
        _set_location(booking, link)
        return Meeting.objects.create(booking=booking, provider=provider, join_url=link)
    if kind == Kind.ZOOM:
        meeting = Meeting.objects.create(booking=booking, provider=provider, status=Meeting.Status.PENDING)
        enqueue(
            ZOOM_CREATE,
            {"meeting_id": meeting.pk},
            key=f"booking:{booking.uid}",
            max_attempts=5,
            organization_id=booking.organization_id,
            due_at=now,
        )
        return meeting
    return Meeting.objects.create(booking=booking, provider=provider, join_url=booking.location)


def _set_location(booking: Booking, location: str) -> None:
    booking.location = location
    Booking.objects.filter(pk=booking.pk).update(location=location)


def on_booking_created(*, booking: Booking, now: datetime, **_) -> None:
    if booking.source == Booking.Source.IMPORT:
        return  # the meeting's location (link) came with it from the scheduler it was imported from
    resolve_location(booking=booking, now=now)


def on_booking_canceled(*, booking: Booking, now: datetime, **_) -> None:
    meeting = Meeting.objects.filter(booking=booking, provider="zoom").first()
    if meeting is None:
        return
    if meeting.status == Meeting.Status.PENDING:
        # Not created yet: the create job will see the canceled booking and stop.
        return
    if meeting.external_id and meeting.status == Meeting.Status.READY:
        enqueue(
            ZOOM_DELETE,
            {"meeting_id": meeting.pk},
            key=f"booking:{booking.uid}",
            max_attempts=5,
            organization_id=booking.organization_id,
            due_at=now,
        )


# --- jobs ------------------------------------------------------------------------------------------------


@handler(ZOOM_CREATE)
def create_zoom_meeting(payload: dict, job: Job) -> None:
    now = job.now
    meeting = (
        Meeting.objects.select_related("booking__event_type", "booking__host").filter(pk=payload["meeting_id"]).first()
    )
    if meeting is None or meeting.status != Meeting.Status.PENDING:
        return
    booking = meeting.booking
    if booking.status != Booking.Status.CONFIRMED:
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.DELETED)
        return
    grant = ZoomGrant.objects.filter(membership_id=booking.host_id).first()
    if grant is None:
        _fail(meeting, f"{booking.host} has not connected Zoom")
        return
    body = zoom.meeting_body(
        topic=booking.event_type.name,
        start=booking.start,
        duration_minutes=booking.duration_minutes,
        timezone=booking.timezone,
    )
    try:
        external_id, join_url = _move_or_create(booking=booking, grant=grant, now=now, body=body)
    except zoom.ZoomError as exc:
        if exc.permanent or job.attempts >= job.max_attempts:
            _fail(meeting, str(exc))
            return
        raise
    with transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(
            external_id=external_id, join_url=join_url, status=Meeting.Status.READY, error=""
        )
        Booking.objects.filter(pk=booking.pk).update(location=join_url)


def _move_or_create(*, booking: Booking, grant: ZoomGrant, now: datetime, body: dict) -> tuple[str, str]:
    """A rescheduled booking moves its predecessor's Zoom meeting (same link for everyone); otherwise, or if
    that meeting is gone from Zoom, a new one is created."""
    prior = None
    if booking.rescheduled_from_id:
        prior = (
            Meeting.objects.filter(booking_id=booking.rescheduled_from_id, provider="zoom", status=Meeting.Status.READY)
            .exclude(external_id="")
            .first()
        )
    if prior is not None:
        try:
            zoom.update_meeting(grant=grant, now=now, meeting_id=prior.external_id, body=body)
        except zoom.ZoomError as exc:
            if exc.status != 404:
                raise
        else:
            Meeting.objects.filter(pk=prior.pk).update(status=Meeting.Status.DELETED, error="moved to a reschedule")
            return prior.external_id, prior.join_url
    data = zoom.create_meeting(grant=grant, now=now, body=body)
    return str(data["id"]), data["join_url"]


def _fail(meeting: Meeting, error: str) -> None:
    log.warning("zoom meeting for booking %s not created: %s", meeting.booking_id, error)
    with transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.FAILED, error=error[:2000])
        Booking.objects.filter(pk=meeting.booking_id).update(location=ZOOM_FALLBACK)


@handler(ZOOM_DELETE)
def delete_zoom_meeting(payload: dict, job: Job) -> None:
    meeting = Meeting.objects.select_related("booking").filter(pk=payload["meeting_id"]).first()
    if meeting is None or meeting.status != Meeting.Status.READY or not meeting.external_id:
        return
    grant = ZoomGrant.objects.filter(membership_id=meeting.booking.host_id).first()
    if grant is None:
        return
    zoom.delete_meeting(grant=grant, now=job.now, meeting_id=meeting.external_id)
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.DELETED)
