"""Organization membership writes: roles, invitations, removing members. Owners and admins manage; the last
owner cannot be demoted or removed (an organization always has someone who can manage it)."""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from slotwise.core import text
from slotwise.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from slotwise.core.events import publish
from slotwise.core.timezones import validate_zone

from .models import Invitation, Membership, Organization, User
from .onboarding import RESERVED_SLUGS
from .selectors import ADMIN_ROLES, current_membership


def membership_role_set(*, actor: Membership, membership: Membership, role: str) -> Membership:
    if role not in Membership.Role.values:
        raise InvalidInput(f"Choose a role: {', '.join(Membership.Role.values)}", field="role")
    if actor.organization_id != membership.organization_id or not actor.is_admin:
        raise PermissionDenied("Only owners and admins change roles")
    if Membership.Role.OWNER in (role, membership.role) and actor.role != Membership.Role.OWNER:
        raise PermissionDenied("Only an owner makes or unmakes owners")
    with transaction.atomic():
        owners = (
            Membership.objects.active()
            .select_for_update()
            .filter(organization_id=membership.organization_id, role=Membership.Role.OWNER)
        )
        if membership.role == Membership.Role.OWNER and role != Membership.Role.OWNER and owners.count() == 1:
            raise InvalidInput(f"{membership.user} is the only owner; make someone else owner first", field="role")
        Membership.objects.filter(pk=membership.pk).update(role=role)
        membership.role = role
    return membership


MAX_EMBED_ORIGINS = 20
_ORIGIN_RE = re.compile(
    r"^(https?)://(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
    r"(:[0-9]{1,5})?$"
)


def clean_embed_origins(values: list[str], *, field: str = "embed_origins") -> list[str]:
    """Origins allowed to frame booking pages, as the Content-Security-Policy's frame-ancestors takes them:
    scheme and host (a leading *. for subdomains), an optional port, no path."""
    out: list[str] = []
    for raw in values:
        value = (raw or "").strip().rstrip("/").lower()
        if not value:
            continue
        if not _ORIGIN_RE.match(value):
            raise InvalidInput(
                f"{raw.strip()[:100]!r} is not a web origin; write scheme and host only, for example "
                "https://www.example.com or https://*.example.com (no path, no spaces)",
                field=field,
            )
        if settings.PRODUCTION and value.startswith("http://"):
            raise InvalidInput(
                f"{value!r} must use https (pages framing the booking page in the clear "
                "would expose the invitee's answers)",
                field=field,
            )
        if value not in out:
            out.append(value)
    if len(out) > MAX_EMBED_ORIGINS:
        raise InvalidInput(f"At most {MAX_EMBED_ORIGINS} sites may embed the booking pages", field=field)
    return out


def organization_embed_origins_set(*, actor: Membership, origins: list[str]) -> Organization:
    """Which sites may show this organization's booking pages in a frame (web/EMBEDDING.md)."""
    if not actor.is_admin:
        raise PermissionDenied("only owners and admins choose which sites may embed the booking pages")
    cleaned = clean_embed_origins(origins)
    org = actor.organization
    Organization.objects.filter(pk=org.pk).update(embed_origins=cleaned)
    org.embed_origins = cleaned
    return org


def membership_link_settings(*, membership: Membership, offer_public_page: bool) -> Membership:
    """Whether a used, expired or revoked single-use link this host sent offers their public booking page."""
    Membership.objects.filter(pk=membership.pk).update(dead_link_offers_public_page=bool(offer_public_page))
    membership.dead_link_offers_public_page = bool(offer_public_page)
    return membership


# --- agencies and sub-accounts (see Organization's docstring, docs/agencies.md) ----------------------------


def organization_place(*, organization: Organization, is_agency: bool, parent: Organization | None) -> Organization:
    """Make `organization` an agency, a sub-account of `parent`, or neither. One level: an agency has no
    agency above it, and a sub-account has no sub-accounts."""
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=organization.pk)
        if parent is not None:
            parent = Organization.objects.select_for_update().get(pk=parent.pk)
            if parent.pk == org.pk:
                raise InvalidInput(f"{org.slug} cannot be a sub-account of itself", field="agency")
            if not parent.is_agency:
                raise InvalidInput(f"{parent.slug} is not an agency; only an agency has sub-accounts", field="agency")
            if is_agency:
                raise InvalidInput(
                    f"{org.slug} cannot be an agency and a sub-account of {parent.slug}: agencies "
                    "have one level of sub-accounts",
                    field="is_agency",
                )
        subs = list(Organization.objects.filter(parent=org).order_by("slug").values_list("slug", flat=True)[:4])
        if subs and (parent is not None or not is_agency):
            shown = ", ".join(subs[:3]) + (", …" if len(subs) > 3 else "")
            what = f"become a sub-account of {parent.slug}" if parent is not None else "stop being an agency"
            raise InvalidInput(
                f"{org.slug} has sub-accounts ({shown}); it cannot {what}: agencies have one level "
                "of sub-accounts, so move them first",
                field="agency",
            )
        org.is_agency, org.parent = is_agency, parent
        org.save(update_fields=["is_agency", "parent"])
    organization.is_agency, organization.parent = org.is_agency, org.parent
    return organization


def _free_member_slug(organization: Organization, email: str) -> str:
    base = slugify(email.split("@")[0])[:50] or "host"
    taken = set(
        Membership.objects.filter(organization=organization, slug__startswith=base).values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _agency_role(user, agency_id: int) -> str | None:
    row = Membership.objects.filter(
        user=user, organization_id=agency_id, role__in=ADMIN_ROLES, via_agency=False
    ).first()
    return row.role if row else None


def sub_account_enter(*, user, organization: Organization) -> Membership:
    """The membership `user` acts through in `organization`: their own, or, for an owner or admin of its
    agency entering it for the first time, a new one with their agency role and `via_agency` set. Anyone
    else gets NotFound (the message does not tell whether the account exists)."""
    refused = NotFound(f"There is no account {organization.slug!r} that you may enter")
    existing = current_membership(user, organization=organization.slug)
    if existing is not None:
        return existing
    if organization.parent_id is None:
        raise refused
    with transaction.atomic():
        role = _agency_role(user, organization.parent_id)
        if role is None:
            raise refused
        try:
            with transaction.atomic():
                created = Membership.objects.create(
                    organization=organization,
                    user=user,
                    role=role,
                    via_agency=True,
                    slug=_free_member_slug(organization, user.email),
                )
        except IntegrityError:  # entered at the same moment in another tab
            created = Membership.objects.get(organization=organization, user=user)
    entered = current_membership(user, membership=created)
    if entered is None:  # the agency role went in the meantime
        raise refused
    return entered


def sub_account_create(*, actor: Membership, name: str, slug: str = "", timezone: str = "") -> Organization:
    """A new sub-account of the agency `actor` is an owner or admin of. The actor enters it as its first
    owner (a `via_agency` membership), so someone can manage it from the start."""
    agency = actor.organization
    if not agency.is_agency:
        raise PermissionDenied(f"{agency.name} is not an agency; only agencies have sub-accounts")
    if not actor.is_admin or actor.via_agency:
        raise PermissionDenied("Only the agency's owners and admins create sub-accounts")
    name = text.clean_name(name, field="name", label="The name", max_length=200)
    if not name:
        raise InvalidInput("Give the sub-account a name", field="name")
    slug = text.clean_name(slug, field="slug", label="The web address", max_length=64).lower() or slugify(name)[:64]
    if not slug or slugify(slug) != slug or len(slug) > 64:
        raise InvalidInput(
            f"{slug!r} cannot be a web address; use lowercase letters, digits and hyphens, such as "
            f"{slugify(name)[:64] or 'client-co'!r}",
            field="slug",
        )
    if slug in RESERVED_SLUGS:
        raise InvalidInput(f"{slug!r} is a page of Slotwise itself; choose another web address", field="slug")
    try:
        zone = validate_zone(timezone or agency.timezone)
    except InvalidInput:
        raise InvalidInput(
            f"Unknown time zone {timezone!r}; choose one from the list, such as Europe/Berlin", field="timezone"
        ) from None
    try:
        with transaction.atomic():
            org = Organization.objects.create(slug=slug, name=name, timezone=zone, parent=agency)
            Membership.objects.create(
                organization=org,
                user=actor.user,
                role=Membership.Role.OWNER,
                via_agency=True,
                slug=_free_member_slug(org, actor.user.email),
            )
    except IntegrityError:
        raise Conflict(f"The web address {slug!r} is taken; choose another", field="slug") from None
    return org


# --- invitations and removing members ----------------------------------------------------------------------

INVITATION_DAYS = 7  # how long an invitation link works; a resend starts the days again
_INVITATION_SIGNER = signing.Signer(salt="slotwise.accounts.invitation")


def invitation_token(invitation: Invitation) -> str:
    """The signed part of the link in the invitation email. It names the invitation and its current nonce, so
    a link a resend replaced is still recognised (and told so) but no longer works."""
    return _INVITATION_SIGNER.sign(f"{invitation.uuid}.{invitation.nonce}")


@dataclass(frozen=True)
class InvitationLink:
    """What a link found: the invitation, and whether this link is its current one (False: a resend replaced it)."""

    invitation: Invitation
    current: bool


def invitation_from_token(token: str) -> InvitationLink:
    """The invitation a link names, or NotFound for a link that is not ours."""
    try:
        uid, nonce = _INVITATION_SIGNER.unsign(token or "").split(".", 1)
        invitation = Invitation.objects.select_related("organization", "invited_by__user").get(uuid=uid)
    except (signing.BadSignature, ValueError, Invitation.DoesNotExist, ValidationError):
        raise NotFound("This invitation link is not valid; check that you opened the whole link") from None
    return InvitationLink(invitation=invitation, current=secrets.compare_digest(nonce, invitation.nonce))


def _inviter(actor: Membership | None) -> str:
    return (actor.user.name or actor.user.email) if actor is not None else "an owner"


def invitation_refusal(link: InvitationLink, now: datetime) -> str:
    """Why a link cannot be accepted, in words for the person who opened it; "" when it can."""
    inv = link.invitation
    ask = f"Ask {_inviter(inv.invited_by)} for a new one."
    state = inv.state(now)
    if state == "accepted":
        return f"This invitation was already accepted. Sign in to {inv.organization.name}."
    if state == "revoked":
        return f"This invitation was revoked. {ask}"
    if not link.current:
        return "This invitation link was replaced by a newer one: use the link in the latest email."
    if state == "expired":
        return f"This invitation expired on {inv.expires_at:%d %b %Y}. {ask}"
    return ""


def _clean_invitee(organization: Organization, email: str, role: str) -> tuple[str, str]:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput("Enter the email address to invite, such as ana@example.com", field="email") from None
    if role not in Membership.Role.values:
        raise InvalidInput(f"Choose a role: {', '.join(Membership.Role.values)}", field="role")
    if Membership.objects.active().filter(organization=organization, user__email=email).exists():
        raise Conflict(f"{email} is already a member of {organization.name}", field="email")
    return email, role


def _may_invite(actor: Membership, organization: Organization, role: str) -> None:
    if actor.organization_id != organization.pk or not actor.is_admin:
        raise PermissionDenied("Only owners and admins invite members")
    if role == Membership.Role.OWNER and actor.role != Membership.Role.OWNER:
        raise PermissionDenied("Only an owner invites another owner")


def _send(invitation: Invitation, now: datetime) -> Invitation:
    publish("invitation.sent", invitation=invitation, now=now)
    return invitation


def invitation_create(
    *, organization: Organization, email: str, role: str, invited_by: Membership, now: datetime
) -> Invitation:
    """Invite `email` to the organization as `role` and send the email with its link. An address with an
    expired invitation gets that one renewed; one still open is refused (resend it instead)."""
    _may_invite(invited_by, organization, role)
    email, role = _clean_invitee(organization, email, role)
    with transaction.atomic():
        open_one = (
            Invitation.objects.select_for_update()
            .filter(organization=organization, email=email, accepted_at__isnull=True, revoked_at__isnull=True)
            .first()
        )
        if open_one is not None and open_one.state(now) == "pending":
            raise Conflict(
                f"{email} was invited on {open_one.sent_at:%d %b %Y} and has not answered yet; resend that invitation",
                field="email",
            )
        invitation = open_one or Invitation(organization=organization, email=email, created_at=now)
        invitation.role, invitation.invited_by = role, invited_by
        invitation.nonce, invitation.sent_at = secrets.token_urlsafe(24), now
        invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
        invitation.save()
        return _send(invitation, now)


def _open_invitation(actor: Membership, invitation: Invitation, now: datetime, verb: str) -> Invitation:
    _may_invite(actor, invitation.organization, invitation.role)
    inv = Invitation.objects.select_for_update().get(pk=invitation.pk)
    state = inv.state(now)
    if state in ("accepted", "revoked"):
        raise Conflict(f"The invitation to {inv.email} was {state}; there is nothing to {verb}")
    return inv


def invitation_resend(*, actor: Membership, invitation: Invitation, now: datetime) -> Invitation:
    """A new link (the one sent before stops working), valid INVITATION_DAYS from now."""
    with transaction.atomic():
        inv = _open_invitation(actor, invitation, now, "resend")
        inv.nonce, inv.sent_at = secrets.token_urlsafe(24), now
        inv.expires_at = now + timedelta(days=INVITATION_DAYS)
        inv.invited_by = actor
        inv.save(update_fields=["nonce", "sent_at", "expires_at", "invited_by"])
        return _send(inv, now)


def invitation_revoke(*, actor: Membership, invitation: Invitation, now: datetime) -> Invitation:
    with transaction.atomic():
        inv = _open_invitation(actor, invitation, now, "revoke")
        inv.revoked_at, inv.revoked_by = now, actor
        inv.save(update_fields=["revoked_at", "revoked_by"])
        return inv


def invitation_accept(*, token: str, name: str, password: str, timezone: str, now: datetime) -> Membership:
    """The invited person joins: a new account gets their name, password and time zone; an address that
    already has a Slotwise account confirms it with that account's password. Every invalid field is
    reported at once (InvalidInput's details). A member removed earlier is made active again."""
    link = invitation_from_token(token)
    refusal = invitation_refusal(link, now)
    if refusal:
        raise Conflict(refusal)
    inv = link.invitation
    user = User.objects.filter(email=inv.email).first()
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if user is None:
        if not name:
            errors["name"] = "Enter your name, as invitees will see it"
        elif len(name) > 200:
            errors["name"] = "Your name can be at most 200 characters"
        try:
            validate_password(password or "", User(email=inv.email, name=name))
        except ValidationError as exc:
            errors["password"] = " ".join(exc.messages)
    elif not user.check_password(password or ""):
        errors["password"] = f"{inv.email} already has a Slotwise account: enter its password"
    try:
        zone = validate_zone(timezone)
    except InvalidInput:
        errors["timezone"] = "Choose your time zone from the list, such as Europe/Berlin"
    if errors:
        field, message = next(iter(errors.items()))
        raise InvalidInput(message, field=field, details=[{"parameter": f, "message": m} for f, m in errors.items()])
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=inv.pk)
        again = invitation_refusal(InvitationLink(locked, locked.nonce == inv.nonce), now)
        if again:  # revoked or resent while the form was open
            raise Conflict(again)
        if user is None:
            user = User.objects.create_user(
                email=inv.email, password=password, name=name, timezone=zone, date_joined=now
            )
        membership = Membership.objects.filter(organization=inv.organization, user=user).first()
        if membership is None:
            membership = Membership.objects.create(
                organization=inv.organization,
                user=user,
                role=inv.role,
                slug=_free_member_slug(inv.organization, inv.email),
                created_at=now,
            )
        else:
            membership.role, membership.deactivated_at = inv.role, None
            membership.save(update_fields=["role", "deactivated_at"])
        locked.accepted_at, locked.membership = now, membership
        locked.save(update_fields=["accepted_at", "membership"])
    return membership


def membership_deactivate(*, actor: Membership, membership: Membership, now: datetime) -> Membership:
    """Remove a member: the membership stays (past bookings keep their host) but acts and shows nowhere,
    and leaves every team. bookings.services.member_remove is the whole removal (future bookings, pools)."""
    if actor.organization_id != membership.organization_id or not actor.is_admin:
        raise PermissionDenied("Only owners and admins remove members")
    if membership.role == Membership.Role.OWNER and actor.role != Membership.Role.OWNER:
        raise PermissionDenied("Only an owner removes an owner")
    with transaction.atomic():
        owners = list(
            Membership.objects.active()
            .select_for_update()
            .filter(organization_id=membership.organization_id, role=Membership.Role.OWNER)
            .values_list("pk", flat=True)
        )
        if membership.deactivated_at is not None:
            raise Conflict(f"{membership.user} was already removed")
        if owners == [membership.pk]:
            raise InvalidInput(
                f"{membership.user} is the only owner; make someone else owner before removing them", field="member"
            )
        membership.deactivated_at = now
        membership.save(update_fields=["deactivated_at"])
        membership.teams.clear()
    return membership
