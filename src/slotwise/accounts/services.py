"""Organization membership writes: roles and team membership. Owners and admins manage; the last owner
cannot be demoted (an organization always has someone who can manage it)."""

import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from slotwise.core import text
from slotwise.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from slotwise.core.timezones import validate_zone

from .models import Membership, Organization
from .onboarding import RESERVED_SLUGS
from .selectors import ADMIN_ROLES, current_membership


def membership_role_set(*, actor: Membership, membership: Membership, role: str) -> Membership:
    if role not in Membership.Role.values:
        raise InvalidInput(f"role: {role!r} is not one of {', '.join(Membership.Role.values)}", field="role")
    if actor.organization_id != membership.organization_id or not actor.is_admin:
        raise PermissionDenied("only owners and admins change roles")
    if Membership.Role.OWNER in (role, membership.role) and actor.role != Membership.Role.OWNER:
        raise PermissionDenied("only an owner makes or unmakes owners")
    with transaction.atomic():
        owners = Membership.objects.select_for_update().filter(
            organization_id=membership.organization_id, role=Membership.Role.OWNER
        )
        if membership.role == Membership.Role.OWNER and role != Membership.Role.OWNER and owners.count() == 1:
            raise InvalidInput("role: this is the only owner; make someone else owner first", field="role")
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
                f"{field}: {raw.strip()[:100]!r} is not a web origin; write scheme and host only, for example "
                "https://www.example.com or https://*.example.com (no path, no spaces)",
                field=field,
            )
        if settings.PRODUCTION and value.startswith("http://"):
            raise InvalidInput(
                f"{field}: {value!r} must use https (pages framing the booking page in the clear "
                "would expose the invitee's answers)",
                field=field,
            )
        if value not in out:
            out.append(value)
    if len(out) > MAX_EMBED_ORIGINS:
        raise InvalidInput(f"{field}: at most {MAX_EMBED_ORIGINS} origins", field=field)
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
