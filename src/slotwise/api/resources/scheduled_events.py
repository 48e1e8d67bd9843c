"""Scheduled events (bookings) and their invitees: list, get, cancel; POST /invitees books."""

from typing import Literal

from django.db.models import Q
from ninja import Field, Path, Query, Router, Schema, Status

from slotwise.accounts.models import Membership
from slotwise.bookings import approvals, recurring
from slotwise.bookings import services as bookings
from slotwise.bookings.models import Booking, Invitee
from slotwise.core.errors import InvalidInput, NotFound, SlotwiseError
from slotwise.core.instants import parse_instant
from slotwise.representations import cancellation_dict, event_dict, invitee_dict

from ..base import (
    EMAIL_RE,
    UUID_RE,
    ZONES,
    Instant,
    JsonInt,
    Pagination,
    check_org,
    idempotent,
    paginate,
    rename_fields,
    require_write,
    responses,
    sort_order,
    sort_re,
    uri_re,
    uuid_of,
)

router = Router(tags=["scheduled_events"])


class Cancellation(Schema):
    canceled_by: str
    reason: str | None
    canceler_type: str
    created_at: str | None = None


class Location(Schema):
    type: str
    location: str | None


class InviteesCounter(Schema):
    total: int
    active: int
    limit: int


class EventMembership(Schema):
    user: str
    user_email: str
    user_name: str


class Event(Schema):
    uri: str
    name: str
    status: str
    start_time: str
    end_time: str
    event_type: str
    location: Location
    invitees_counter: InviteesCounter
    created_at: str
    updated_at: str
    event_memberships: list[EventMembership]
    event_guests: list[dict]
    cancellation: Cancellation | None = None
    calendar_event: dict | None
    meeting_notes_plain: str | None = None
    slotwise_approval: "Approval | None" = Field(
        None,
        description=(
            "Slotwise extra: set when the event type requires the host's approval. status pending (the time is "
            "held until expires_at), approved, declined, expired, or withdrawn by the invitee"
        ),
    )
    slotwise_series: "Series | None" = Field(
        None, description="Slotwise extra: set when this event is one meeting of a recurring booking"
    )


class Series(Schema):
    uuid: str
    occurrence: int = Field(description="Its place in the series: 0 is the first meeting")
    rrule: str = Field(description="The series' rule as calendars hold it (cancelling the rest lowers COUNT)")
    timezone: str = Field(description="The host's zone: the rule repeats its wall time")


class Approval(Schema):
    status: Literal["pending", "approved", "declined", "expired", "withdrawn"]
    expires_at: str | None
    decided_at: str | None


Event.model_rebuild()


class EventResource(Schema):
    resource: Event


class EventCollection(Schema):
    collection: list[Event]
    pagination: Pagination


class QuestionAndAnswer(Schema):
    question: str
    answer: str
    position: int


class Tracking(Schema):
    utm_campaign: str | None
    utm_source: str | None
    utm_medium: str | None
    utm_content: str | None
    utm_term: str | None
    salesforce_uuid: str | None


class NoShowRef(Schema):
    uri: str
    created_at: str


class InviteeOut(Schema):
    uri: str
    email: str
    first_name: str | None
    last_name: str | None
    name: str
    status: str
    questions_and_answers: list[QuestionAndAnswer]
    timezone: str
    event: str
    created_at: str
    updated_at: str
    tracking: Tracking
    text_reminder_number: str | None
    rescheduled: bool
    old_invitee: str | None
    new_invitee: str | None
    cancel_url: str
    reschedule_url: str
    routing_form_submission: str | None
    cancellation: Cancellation | None = None
    payment: dict | None
    no_show: NoShowRef | None
    reconfirmation: dict | None
    scheduling_method: str | None = None
    invitee_scheduled_by: str | None = None


class InviteeResource(Schema):
    resource: InviteeOut


class InviteeCollection(Schema):
    collection: list[InviteeOut]
    pagination: Pagination


def bookings_of(request):
    return (
        Booking.objects.filter(organization=request.auth.membership.organization)
        .select_related("event_type", "host__user")
        .prefetch_related("invitees", "guests", "host_blocks__membership__user")
    )


def booking_by_uuid(request, value: str) -> Booking:
    b = bookings_of(request).filter(uid=uuid_of(value, "scheduled_events", field="uuid")).first()
    if b is None:
        raise NotFound("No scheduled event with this uuid in your organization")
    return b


@router.get("/scheduled_events", response=responses(200, EventCollection), summary="Scheduled events")
def list_events(
    request,
    user: str | None = Query(None, pattern=uri_re("users")),
    organization: str | None = Query(None, pattern=uri_re("organizations")),
    invitee_email: str | None = None,
    status: Literal["active", "canceled"] | None = None,
    sort: str | None = Query(None, pattern=sort_re("start_time")),
    min_start_time: Instant | None = Query(None),
    max_start_time: Instant | None = Query(None),
    count: int = Query(20, ge=1, le=100),
    page_token: str | None = None,
):
    check_org(request, organization)
    qs = bookings_of(request)
    if user:
        user_uuid = uuid_of(user, "users", field="user")
        member = Membership.objects.filter(
            organization=request.auth.membership.organization, user__uuid=user_uuid
        ).first()
        if member is None:
            raise NotFound("user: no such user in your organization")
        qs = qs.filter(Q(host=member) | Q(host_blocks__membership=member)).distinct()
    elif not organization:
        raise InvalidInput("give the user or the organization to list events of", field="organization")
    if status is not None:
        live = [Booking.Status.CONFIRMED, Booking.Status.PENDING]
        if status == "active":
            qs = qs.filter(status__in=live)
        elif status == "canceled":
            qs = qs.exclude(status__in=live)
        else:
            raise InvalidInput(f"status: {status!r} is not one of active, canceled", field="status")
    if min_start_time:
        qs = qs.filter(start__gte=parse_instant(min_start_time, field="min_start_time"))
    if max_start_time:
        qs = qs.filter(start__lt=parse_instant(max_start_time, field="max_start_time"))
    if invitee_email:
        qs = qs.filter(invitees__email__iexact=invitee_email.strip()).distinct()
    order = sort_order(sort, allowed={"start_time": "start"}, default="start")
    return paginate(request, qs, order=order, count=count, page_token=page_token, serialize=event_dict)


@router.get("/scheduled_events/{uuid}", response=responses(200, EventResource), summary="One scheduled event")
def get_event(request, uuid: str = Path(..., pattern=UUID_RE)):
    return {"resource": event_dict(booking_by_uuid(request, uuid))}


def _invitees(booking: Booking):
    return Invitee.objects.filter(booking=booking).select_related(
        "booking__rescheduled_from", "booking__event_type", "no_show_mark"
    )


@router.get(
    "/scheduled_events/{uuid}/invitees",
    response=responses(200, InviteeCollection),
    summary="A scheduled event's invitees",
)
def list_invitees(
    request,
    uuid: str = Path(..., pattern=UUID_RE),
    status: Literal["active", "canceled"] | None = None,
    email: str | None = None,
    sort: str | None = Query(None, pattern=sort_re("created_at")),
    count: int = Query(20, ge=1, le=100),
    page_token: str | None = None,
):
    qs = _invitees(booking_by_uuid(request, uuid))
    if status is not None:
        if status not in ("active", "canceled"):
            raise InvalidInput(f"status: {status!r} is not one of active, canceled", field="status")
        qs = qs.filter(status=status)
    if email:
        qs = qs.filter(email__iexact=email.strip())
    order = sort_order(sort, allowed={"created_at": "created_at"}, default="created_at")
    return paginate(request, qs, order=order, count=count, page_token=page_token, serialize=invitee_dict)


def invitee_by_uri(request, value: str, *, field: str) -> Invitee:
    invitee_uuid = uuid_of(value, "invitees", field=field)
    i = (
        Invitee.objects.select_related("booking__event_type", "booking__rescheduled_from")
        .filter(uid=invitee_uuid, booking__organization=request.auth.membership.organization)
        .first()
    )
    if i is None:
        raise NotFound(f"{field}: no invitee with this uuid in your organization")
    return i


@router.get(
    "/scheduled_events/{uuid}/invitees/{invitee_uuid}", response=responses(200, InviteeResource), summary="One invitee"
)
def get_invitee(request, uuid: str = Path(..., pattern=UUID_RE), invitee_uuid: str = Path(..., pattern=UUID_RE)):
    booking = booking_by_uuid(request, uuid)
    i = _invitees(booking).filter(uid=uuid_of(invitee_uuid, "invitees", field="invitee_uuid")).first()
    if i is None:
        raise NotFound("No invitee with this uuid on this event")
    return {"resource": invitee_dict(i)}


class CancelBody(Schema):
    reason: str | None = Field(None, max_length=1000)


class CancellationResource(Schema):
    resource: Cancellation


@router.post(
    "/scheduled_events/{uuid}/cancellation", response=responses(201, CancellationResource), summary="Cancel an event"
)
@idempotent
def cancel_event(request, body: CancelBody | None = None, uuid: str = Path(..., pattern=UUID_RE)):
    require_write(request)
    booking = booking_by_uuid(request, uuid)
    me = request.auth.membership
    _host_or_admin(request, booking, "cancel")
    if booking.status not in (Booking.Status.CONFIRMED, Booking.Status.PENDING):
        raise InvalidInput(f"This event is already {booking.status}", field="uuid")
    booking = bookings.booking_cancel(
        booking=booking,
        now=request.now,
        reason=(body.reason if body else "") or "",
        canceled_by=me.user.name or me.user.email,
        canceler_type="host",
    )
    return Status(201, {"resource": cancellation_dict(booking)})


class InviteeIn(Schema):
    name: str | None = Field(None, max_length=200, description="Or first_name and last_name")
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    email: str = Field(..., pattern=EMAIL_RE, max_length=254)
    timezone: ZONES


class LocationIn(Schema):
    kind: str | None = None
    location: str | None = Field(None, max_length=500)


class QuestionIn(Schema):
    question: str
    answer: str | list[str]
    position: JsonInt | None = None


class BookBody(Schema):
    event_type: str = Field(..., pattern=uri_re("event_types"))
    start_time: Instant = Field(...)
    invitee: InviteeIn
    questions_and_answers: list[QuestionIn] = Field(
        [], description=("Answers to the event type's custom questions; see custom_questions on the event type")
    )
    location: LocationIn | None = None
    event_guests: list[str] = Field(
        [],
        max_length=50,
        description=("Guests' email addresses, up to the event type's limit (Slotwise: max_guests; 0 takes none)"),
    )


@router.post("/invitees", response=responses(201, InviteeResource), summary="Book: create an invitee")
@idempotent
def book(request, body: BookBody):
    require_write(request)
    from .event_types import event_type_by_uuid

    et = event_type_by_uuid(request, body.event_type, field="event_type")
    start = parse_instant(body.start_time, field="start_time")
    name = (body.invitee.name or " ".join(p for p in (body.invitee.first_name, body.invitee.last_name) if p)).strip()
    by_label = {str(q.get("label", "")).strip().lower(): q["key"] for q in et.questions or []}
    by_key = {q["key"] for q in et.questions or []}
    answers = {}
    for n, qa in enumerate(body.questions_and_answers):
        key = qa.question if qa.question in by_key else by_label.get(qa.question.strip().lower())
        if key is None:
            raise InvalidInput(
                f"questions_and_answers[{n}].question: {qa.question!r} is not a question of this event type",
                field=f"questions_and_answers[{n}].question",
            )
        answers[key] = qa.answer
    try:
        invitee = _book(request, body, et, start, name, answers)
    except SlotwiseError as exc:
        raise rename_fields(
            exc,
            {
                "start": "start_time",
                "name": "invitee.name",
                "email": "invitee.email",
                "timezone": "invitee.timezone",
                "duration": "event_type",
                "guests": "event_guests",
            },
        ) from None
    return Status(201, {"resource": invitee_dict(_invitees(invitee.booking).get(pk=invitee.pk))})


def _book(request, body, et, start, name, answers):
    """One meeting, or for an event type that repeats the whole series, as the booking page books it; the
    answer is the first meeting's invitee, whose `slotwise_series` names the others."""
    kwargs = dict(
        event_type=et,
        start=start,
        invitee=bookings.InviteeInput(
            name=name,
            email=body.invitee.email,
            timezone=body.invitee.timezone,
            answers=answers,
            first_name=body.invitee.first_name or "",
            last_name=body.invitee.last_name or "",
        ),
        now=request.now,
        source=Booking.Source.API,
        location=body.location.location if body.location and body.location.location is not None else None,
        guests=body.event_guests,
    )
    if recurring.is_recurring(et):
        return recurring.recurring_booking_create(**kwargs).first
    return bookings.booking_create(**kwargs)


def _host_or_admin(request, booking: Booking, what: str) -> None:
    me = request.auth.membership
    if not me.is_admin and booking.host_id != me.pk and not booking.host_blocks.filter(membership=me).exists():
        from slotwise.core.errors import PermissionDenied

        raise PermissionDenied(f"Only a host of this event or an organization admin can {what} it")


class DeclineBody(Schema):
    reason: str | None = Field(None, max_length=1000)


@router.post(
    "/scheduled_events/{uuid}/approval",
    response=responses(200, EventResource),
    summary="Slotwise: approve a request waiting for the host",
)
@idempotent
def approve_event(request, uuid: str = Path(..., pattern=UUID_RE)):
    require_write(request)
    booking = booking_by_uuid(request, uuid)
    _host_or_admin(request, booking, "approve")
    approvals.booking_approve(booking=booking, now=request.now, by=request.auth.membership)
    return {"resource": event_dict(booking_by_uuid(request, uuid))}


@router.post(
    "/scheduled_events/{uuid}/decline",
    response=responses(200, EventResource),
    summary="Slotwise: decline a request waiting for the host",
)
@idempotent
def decline_event(request, body: DeclineBody | None = None, uuid: str = Path(..., pattern=UUID_RE)):
    require_write(request)
    booking = booking_by_uuid(request, uuid)
    _host_or_admin(request, booking, "decline")
    approvals.booking_decline(
        booking=booking, now=request.now, by=request.auth.membership, reason=(body.reason if body else "") or ""
    )
    return {"resource": event_dict(booking_by_uuid(request, uuid))}
