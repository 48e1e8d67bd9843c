"""Organization membership writes: roles and team membership. Owners and admins manage; the last owner
cannot be demoted (an organization always has someone who can manage it)."""

import re

from django.conf import settings
from django.db import transaction

from slotwise.core.errors import InvalidInput, PermissionDenied

from .models import Membership, Organization


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
_ORIGIN_RE = re.compile(r"^(https?)://(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
                        r"(:[0-9]{1,5})?$")


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
                "https://www.example.com or https://*.example.com (no path, no spaces)", field=field,
            )
        if settings.PRODUCTION and value.startswith("http://"):
            raise InvalidInput(f"{field}: {value!r} must use https (pages framing the booking page in the clear "
                               "would expose the invitee's answers)", field=field)
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
