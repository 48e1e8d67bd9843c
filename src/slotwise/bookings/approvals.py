"""Requests that wait for the host's approval: hold, approve, decline, expire.

A request is a Booking with status PENDING whose BookingHost rows are active, so the database guard and
availability count it exactly like a booking. It holds its time until `approval_expires_at`; a durable job
(due then) releases it and tells the invitee. Approval turns it into a confirmed booking and publishes
booking.created (invitations, calendar write-back, meeting links follow as for any booking); declining
or expiring cancels it and frees the time. Every door (emails' signed links, dashboard, API) calls these.
"""

from datetime import datetime, timedelta

from django.core import signing
from django.db import transaction

from slotwise.accounts.models import Membership
from slotwise.core.errors import Conflict, InvalidInput, NotFound
from slotwise.core.events import publish
from slotwise.core.text import clean_text
from slotwise.jobs.services import cancel_pending, enqueue, handler

from .models import Booking, BookingHost, Invitee

EXPIRE_JOB = "bookings.approval_expire"
MAX_REASON = 1000
_SIGNER = signing.Signer(salt="slotwise.bookings.approval")
ACTIONS = ("approve", "decline")


def _job_key(booking: Booking) -> str:
    return f"approval:{booking.uid}"


def hold(*, booking: Booking, now: datetime) -> None:
    """Mark a just-created booking as a request and schedule its expiry (inside the booking's transaction)."""
    booking.status = Booking.Status.PENDING
    booking.approval = Booking.Approval.PENDING
    booking.approval_expires_at = now + timedelta(hours=booking.event_type.confirmation_hold_hours)
    Booking.objects.filter(pk=booking.pk).update(
        status=booking.status, approval=booking.approval, approval_expires_at=booking.approval_expires_at
    )
    enqueue(
        EXPIRE_JOB,
        {"booking_id": booking.pk},
        due_at=booking.approval_expires_at,
        key=_job_key(booking),
        organization_id=booking.organization_id,
    )


def token(booking: Booking, action: str) -> str:
    """The signed part of an approve or decline link in the host's email."""
    if action not in ACTIONS:
        raise ValueError(action)
    return _SIGNER.sign(f"{booking.uid}.{action}")


def from_token(value: str) -> tuple[Booking, str]:
    """The request and action a signed link names, or NotFound for a link that was not ours."""
    try:
        uid, action = _SIGNER.unsign(value).split(".", 1)
        booking = Booking.objects.select_related("event_type", "host__user").get(uid=uid)
    except (signing.BadSignature, ValueError, Booking.DoesNotExist):
        raise NotFound("This approval link is not valid. Open the request from your dashboard instead.") from None
    if action not in ACTIONS:
        raise NotFound("This approval link is not valid. Open the request from your dashboard instead.")
    return booking, action


def not_pending_message(booking: Booking) -> str:
    if booking.approval == Booking.Approval.EXPIRED:
        return "This request expired before it was approved, and its time was released. Ask the invitee to book again."
    if booking.approval == Booking.Approval.DECLINED:
        return "This request was already declined."
    if booking.approval == Booking.Approval.APPROVED:
        return "This request was already approved."
    if booking.status == Booking.Status.CANCELED:
        return "This request was canceled."
    return "This booking does not need approval."


def _check_host(booking: Booking, by: Membership | None) -> None:
    if by is not None and by.organization_id != booking.organization_id:
        raise NotFound("No such request")


def _close(booking: Booking, *, approval: str, now: datetime, reason: str, by: str) -> None:
    """Decline or expire a locked pending booking: cancel it, free its time, tell subscribers."""
    booking.status = Booking.Status.CANCELED
    booking.approval = approval
    booking.approval_decided_at = now
    booking.cancel_reason = reason
    booking.canceled_by = by
    booking.canceler_type = "host"
    booking.canceled_at = now
    booking.save(
        update_fields=[
            "status",
            "approval",
            "approval_decided_at",
            "cancel_reason",
            "canceled_by",
            "canceler_type",
            "canceled_at",
            "updated_at",
        ]
    )
    BookingHost.objects.filter(booking=booking, active=True).update(active=False)
    invitees = list(booking.invitees.filter(status=Invitee.Status.ACTIVE))
    booking.invitees.filter(status=Invitee.Status.ACTIVE).update(status=Invitee.Status.CANCELED)
    cancel_pending(_job_key(booking))
    publish("booking.canceled", booking=booking, invitees=invitees, now=now, rescheduled=False)


def approval_expire(*, booking: Booking, now: datetime) -> bool:
    """Release a request whose hold has run out; False when it was decided (or is not due) already."""
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if (
            locked.status != Booking.Status.PENDING
            or locked.approval_expires_at is None
            or now < locked.approval_expires_at
        ):
            return False
        _close(
            locked,
            approval=Booking.Approval.EXPIRED,
            now=now,
            by="Slotwise",
            reason="The host did not confirm the request in time.",
        )
    return True


def booking_approve(*, booking: Booking, now: datetime, by: Membership | None = None) -> Booking:
    """The host accepts a request: it becomes a confirmed booking. Refused (Conflict, in words) once it was
    declined or its hold expired; an expired hold that its job has not released yet is released here."""
    _check_host(booking, by)
    if approval_expire(booking=booking, now=now):
        raise Conflict(not_pending_message(Booking.objects.get(pk=booking.pk)), field="booking")
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("event_type").get(pk=booking.pk)
        if locked.status != Booking.Status.PENDING:
            raise Conflict(not_pending_message(locked), field="booking")
        locked.status = Booking.Status.CONFIRMED
        locked.approval = Booking.Approval.APPROVED
        locked.approval_decided_at = now
        locked.save(update_fields=["status", "approval", "approval_decided_at", "updated_at"])
        cancel_pending(_job_key(locked))
        for invitee in locked.invitees.filter(status=Invitee.Status.ACTIVE).order_by("pk"):
            publish("booking.created", booking=locked, invitee=invitee, now=now, approved=True)
    return locked


def booking_decline(*, booking: Booking, now: datetime, reason: str = "", by: Membership | None = None) -> Booking:
    """The host refuses a request: its time is freed and the invitee is told, with the reason if given."""
    reason = clean_text(reason, field="reason", max_length=MAX_REASON, multiline=True)
    _check_host(booking, by)
    if approval_expire(booking=booking, now=now):
        raise Conflict(not_pending_message(Booking.objects.get(pk=booking.pk)), field="booking")
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("event_type").get(pk=booking.pk)
        if locked.status != Booking.Status.PENDING:
            raise Conflict(not_pending_message(locked), field="booking")
        who = str(by.user) if by is not None else locked.host.user.name or locked.host.user.email
        _close(locked, approval=Booking.Approval.DECLINED, now=now, reason=reason, by=who)
    return locked


def decide(*, booking: Booking, action: str, now: datetime, by: Membership | None = None, reason: str = "") -> Booking:
    if action == "approve":
        return booking_approve(booking=booking, now=now, by=by)
    if action == "decline":
        return booking_decline(booking=booking, now=now, by=by, reason=reason)
    raise InvalidInput("action: approve or decline", field="action")


@handler(EXPIRE_JOB)
def run_expiry(payload: dict, job) -> None:
    booking = Booking.objects.filter(pk=payload["booking_id"]).first()
    if booking is not None:
        approval_expire(booking=booking, now=job.now)
