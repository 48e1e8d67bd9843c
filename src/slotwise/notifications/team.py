"""Emails about the team rather than a booking: an invitation to join (accounts.Invitation), a member's
request to host a team event and its answer (scheduling.PoolJoinRequest). Subscribers write the job in
the service's transaction; the handlers render and send when the worker runs them, and send nothing for
something that changed meanwhile (an invitation resent or revoked, a member removed)."""

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from slotwise.accounts.models import Invitation, Membership
from slotwise.accounts.services import invitation_token
from slotwise.jobs.models import Job
from slotwise.jobs.services import enqueue, handler
from slotwise.scheduling.models import WEEKDAYS, PoolJoinRequest
from slotwise.scheduling.services import DAY_NAMES

from . import mail
from .models import Kind, SentEmail
from .render import render

INVITATION_JOB = "notify.invitation"
POOL_REQUEST_JOB = "notify.pool_request"
POOL_DECISION_JOB = "notify.pool_decision"

ROLE_WORDS = {"owner": "an owner", "admin": "an admin", "member": "a member"}


def _name(m: Membership | None) -> str:
    return (m.user.name or m.user.email) if m is not None else "An owner"


def _send(*, to: str, kind: str, context: dict, organization_id: int, job: Job) -> SentEmail:
    rendered = render(kind, context, organization_id=None)
    msg = EmailMultiAlternatives(
        subject=rendered.subject, body=rendered.text, to=[to], from_email=settings.DEFAULT_FROM_EMAIL
    )
    msg.attach_alternative(rendered.html, "text/html")
    mail.send_message(msg)
    return SentEmail.objects.create(
        organization_id=organization_id, kind=kind, to=to, subject=rendered.subject, job_id=job.pk, sent_at=job.now
    )


def _hours_lines(weekly: dict | None) -> list[str]:
    return [
        f"{DAY_NAMES[day]}: {', '.join(f'{a}-{b}' for a, b in weekly[day])}"
        for day in WEEKDAYS
        if (weekly or {}).get(day)
    ]


# --- subscribers: inside the service's transaction --------------------------------------------------------


def on_invitation_sent(*, invitation: Invitation, now: datetime, **_) -> None:
    enqueue(
        INVITATION_JOB,
        {"invitation_id": invitation.pk, "nonce": invitation.nonce},
        key=f"invitation:{invitation.uuid}",
        organization_id=invitation.organization_id,
        due_at=now,
    )


def on_pool_request_created(*, request: PoolJoinRequest, now: datetime, **_) -> None:
    enqueue(
        POOL_REQUEST_JOB, {"request_id": request.pk}, organization_id=request.event_type.organization_id, due_at=now
    )


def on_pool_request_decided(*, request: PoolJoinRequest, now: datetime, **_) -> None:
    enqueue(
        POOL_DECISION_JOB, {"request_id": request.pk}, organization_id=request.event_type.organization_id, due_at=now
    )


# --- handlers ------------------------------------------------------------------------------------------


@handler(INVITATION_JOB)
def send_invitation(payload: dict, job: Job) -> None:
    inv = (
        Invitation.objects.select_related("organization", "invited_by__user")
        .filter(pk=payload["invitation_id"])
        .first()
    )
    # A resend wrote its own job with the new link; a revoked or accepted invitation needs no email.
    if inv is None or inv.nonce != payload["nonce"] or inv.state(job.now) != "pending":
        return
    context = {
        "inviter": _name(inv.invited_by),
        "organization": inv.organization.name,
        "role_words": ROLE_WORDS.get(inv.role, inv.role),
        "accept_url": f"{settings.BASE_URL}/invite/{invitation_token(inv)}/",
        "expires": f"{inv.expires_at:%A %d %B %Y, %H:%M} UTC",
    }
    _send(to=inv.email, kind=Kind.MEMBER_INVITED, context=context, organization_id=inv.organization_id, job=job)


def _request(payload: dict) -> PoolJoinRequest | None:
    return (
        PoolJoinRequest.objects.select_related("event_type__organization", "membership__user", "decided_by__user")
        .filter(pk=payload["request_id"])
        .first()
    )


@handler(POOL_REQUEST_JOB)
def send_pool_request(payload: dict, job: Job) -> None:
    req = _request(payload)
    if req is None or req.status != PoolJoinRequest.Status.PENDING:
        return
    event_type = req.event_type
    admins = (
        Membership.objects.active()
        .filter(organization_id=event_type.organization_id, role__in=("owner", "admin"), via_agency=False)
        .select_related("user")
        .order_by("pk")
    )
    for admin in admins:
        context = {
            "admin_name": _name(admin),
            "member": _name(req.membership),
            "event_name": event_type.name,
            "zone": req.timezone,
            "hours": _hours_lines(req.weekly),
            "daylight": _hours_lines(req.weekly_daylight),
            "note": req.note,
            "decide_url": f"{settings.BASE_URL}/dashboard/event-types/{event_type.pk}/pool/",
        }
        _send(
            to=admin.user.email,
            kind=Kind.POOL_REQUESTED,
            context=context,
            organization_id=event_type.organization_id,
            job=job,
        )


@handler(POOL_DECISION_JOB)
def send_pool_decision(payload: dict, job: Job) -> None:
    req = _request(payload)
    if req is None or req.membership.deactivated_at is not None:
        return
    context = {
        "member": _name(req.membership),
        "admin_name": _name(req.decided_by),
        "event_name": req.event_type.name,
        "zone": req.timezone,
        "approved": req.status == PoolJoinRequest.Status.APPROVED,
        "reason": req.reason,
        "dashboard_url": f"{settings.BASE_URL}/dashboard/",
    }
    _send(
        to=req.membership.user.email,
        kind=Kind.POOL_DECIDED,
        context=context,
        organization_id=req.event_type.organization_id,
        job=job,
    )
