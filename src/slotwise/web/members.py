"""The team's people: the Members page (members and pending invitations, inviting, resending, revoking,
removing), the page an invitation link opens, and a member's request to host a team event with its
decision. Views are thin: every write is a service of accounts, bookings or scheduling."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from slotwise.accounts import services as accounts
from slotwise.accounts.decorators import membership_required
from slotwise.accounts.models import Invitation, Membership
from slotwise.accounts.models import User as Person
from slotwise.bookings import selectors as booked
from slotwise.bookings import services as bookings
from slotwise.core.clock import utc_now
from slotwise.core.errors import InvalidInput, SlotwiseError
from slotwise.core.timezones import all_zones
from slotwise.scheduling import services as scheduling
from slotwise.scheduling.models import WEEKDAYS, EventType, PoolHost, PoolJoinRequest

from . import booking as page
from .dashboard import hours_error_key, read_hours

ROLE_WORDS = {"owner": "Owner", "admin": "Admin", "member": "Member"}
STATE_WORDS = {"pending": "Waiting", "expired": "Expired"}


def _denied(request, message: str):
    return render(request, "web/error.html", {"message": message}, status=403)


@membership_required
def members(request):
    m = request.membership
    now = utc_now()
    form = {"email": request.POST.get("email", ""), "role": request.POST.get("role", "member")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            inv = accounts.invitation_create(
                organization=m.organization, email=form["email"], role=form["role"], invited_by=m, now=now
            )
        except SlotwiseError as exc:
            errors[exc.field or "form"] = exc.message
        else:
            messages.success(request, f"Invitation sent to {inv.email}. The link works for seven days.")
            return redirect("members")
    people = (
        Membership.objects.active()
        .filter(organization=m.organization)
        .select_related("user")
        .prefetch_related("teams")
        .order_by("user__name", "slug")
    )
    invitations = [
        {"inv": inv, "state": inv.state(now), "state_words": STATE_WORDS[inv.state(now)]}
        for inv in Invitation.objects.filter(
            organization=m.organization, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("invited_by__user")
        .order_by("email")
    ]
    owners = sum(1 for p in people if p.role == Membership.Role.OWNER)
    return render(
        request,
        "web/dash_members.html",
        {
            "nav": "members",
            "people": people,
            "invitations": invitations,
            "can_manage": m.is_admin,
            "roles": [(r, ROLE_WORDS[r]) for r in Membership.Role.values if r != "owner" or m.role == "owner"],
            "role_words": ROLE_WORDS,
            "last_owner": owners == 1,
            "form": form,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@membership_required
@require_POST
def invitation_action(request, uuid, action):
    m = request.membership
    inv = get_object_or_404(Invitation, organization=m.organization, uuid=uuid)
    try:
        if action == "resend":
            accounts.invitation_resend(actor=m, invitation=inv, now=utc_now())
            messages.success(request, f"A new invitation went to {inv.email}; the link sent before no longer works.")
        else:
            accounts.invitation_revoke(actor=m, invitation=inv, now=utc_now())
            messages.success(request, f"The invitation to {inv.email} was revoked.")
    except SlotwiseError as exc:
        messages.error(request, exc.message)
    return redirect("members")


@membership_required
def member_remove(request, pk):
    m = request.membership
    target = get_object_or_404(Membership.objects.active().select_related("user"), organization=m.organization, pk=pk)
    if not m.is_admin:
        return _denied(request, "Only owners and admins remove members.")
    now = utc_now()
    error = ""
    reason = request.POST.get("reason", "")
    if request.method == "POST":
        try:
            canceled = bookings.member_remove(actor=m, membership=target, now=now, cancel_reason=reason)
        except SlotwiseError as exc:
            error = exc.message
        else:
            note = f" {canceled} upcoming booking{'s were' if canceled != 1 else ' was'} canceled." if canceled else ""
            messages.success(request, f"{target.user} was removed. Their past bookings are kept.{note}")
            return redirect("members")
    zone = m.user.timezone or m.organization.timezone
    upcoming = [
        {"b": b, "when": f"{page.fmt_short_day(b.start, zone)}, {page.fmt_time(b.start, zone, '24')}"}
        for b in booked.upcoming_for_member(membership=target, now=now)[:200]
    ]
    return render(
        request,
        "web/dash_member_remove.html",
        {"nav": "members", "target": target, "upcoming": upcoming, "zone": zone, "error": error, "reason": reason},
        status=400 if error else 200,
    )


# --- the invitation link -----------------------------------------------------------------------------------


def invitation_page(request, token):
    now = utc_now()
    try:
        link = accounts.invitation_from_token(token)
    except SlotwiseError as exc:
        return render(request, "web/invitation.html", {"refusal": exc.message}, status=404)
    inv = link.invitation
    refusal = accounts.invitation_refusal(link, now)
    if refusal:
        return render(request, "web/invitation.html", {"refusal": refusal, "inv": inv}, status=410)
    has_account = Person.objects.filter(email=inv.email).exists()
    form = {"name": request.POST.get("name", ""), "timezone": request.POST.get("timezone", "")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            membership = accounts.invitation_accept(
                token=token,
                name=form["name"],
                password=request.POST.get("password", ""),
                timezone=form["timezone"],
                now=now,
            )
        except SlotwiseError as exc:
            errors = {d["parameter"]: d["message"] for d in exc.details} or {"": exc.message}
        else:
            login(request, membership.user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(request, f"Welcome to {membership.organization.name}. Set the hours you take meetings in.")
            return redirect(f"/dashboard/availability/?org={membership.organization.slug}")
    return render(
        request,
        "web/invitation.html",
        {
            "inv": inv,
            "inviter": str(inv.invited_by.user) if inv.invited_by else "",
            "has_account": has_account,
            "form": form,
            "errors": errors,
            "zones": all_zones(),
        },
        status=400 if errors else 200,
    )


# --- joining a team event's pool -------------------------------------------------------------------------


def _team_event(m: Membership, pk: int) -> EventType:
    return get_object_or_404(
        EventType.objects.select_related("team"), organization=m.organization, pk=pk, team__isnull=False
    )


@membership_required
def pool_request(request, pk):
    m = request.membership
    event_type = _team_event(m, pk)
    now = utc_now()
    errors: dict[str, str] = {}
    if request.method == "POST":
        form, weekly, daylight = read_hours(request.POST)
        form["note"] = request.POST.get("note", "")
        try:
            scheduling.pool_request_create(
                membership=m,
                event_type=event_type,
                timezone=form["timezone"],
                weekly=weekly,
                daylight=daylight if form["seasonal"] else None,
                note=form["note"],
                now=now,
            )
        except SlotwiseError as exc:
            errors[hours_error_key(exc.field)] = exc.message
        else:
            messages.success(request, f"Your request to host {event_type.name} went to the admins.")
            return redirect("team")
    else:
        form = {"timezone": m.user.timezone or m.organization.timezone, "seasonal": False, "note": ""}
        form.update({d: "" for d in WEEKDAYS} | {f"dl_{d}": "" for d in WEEKDAYS})
    waiting = PoolJoinRequest.objects.filter(
        event_type=event_type, membership=m, status=PoolJoinRequest.Status.PENDING
    ).first()
    return render(
        request,
        "web/dash_pool_request.html",
        {
            "nav": "team",
            "event_type": event_type,
            "form": form,
            "errors": errors,
            "days": [(d, form[d], form[f"dl_{d}"], errors.get(d, "")) for d in WEEKDAYS],
            "zones": all_zones(),
            "waiting": waiting,
            "hosting": PoolHost.objects.filter(event_type=event_type, membership=m).exists(),
        },
        status=400 if errors else 200,
    )


@membership_required
@require_POST
def pool_request_decide(request, uuid, action):
    m = request.membership
    req = get_object_or_404(
        PoolJoinRequest.objects.select_related("event_type", "membership__user"),
        event_type__organization=m.organization,
        uuid=uuid,
    )
    try:
        if action == "approve":
            priority, weight = _number(request.POST.get("priority")), _number(request.POST.get("weight"))
            scheduling.pool_request_decide(
                actor=m, request=req, approve=True, priority=priority, weight=weight, now=utc_now()
            )
            messages.success(request, f"{req.membership.user} now hosts {req.event_type.name}.")
        else:
            scheduling.pool_request_decide(
                actor=m, request=req, approve=False, reason=request.POST.get("reason", ""), now=utc_now()
            )
            messages.success(request, f"You declined {req.membership.user}'s request.")
    except SlotwiseError as exc:
        messages.error(request, exc.message)
    return redirect("pool_edit", pk=req.event_type_id)


def _number(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput("Give a priority from 0 to 4 and a weight from 1 to 1000", field="pool") from None
