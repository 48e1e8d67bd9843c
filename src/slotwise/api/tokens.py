"""Personal access tokens and OAuth access tokens: create, verify, revoke.

A token reads `swp_<prefix>_<secret>`; it is printed once and only its SHA-256 is stored."""

import hashlib
import secrets
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from slotwise.accounts.models import Membership, Organization
from slotwise.accounts.selectors import current_membership
from slotwise.core.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated

from .models import ApiToken

SCOPES = ("read", "write")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *,
    membership: Membership,
    scope: str = "read",
    name: str = "",
    now: datetime,
    kind: str = ApiToken.Kind.PERSONAL,
    application=None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Returns the row and the secret, which is never stored and cannot be shown again."""
    if scope not in SCOPES:
        raise InvalidInput(f"A token can read, or read and write; {scope!r} is neither", field="scope")
    if len(name) > 100:
        raise InvalidInput("name: at most 100 characters", field="name")
    if "\x00" in name:
        raise InvalidInput("name: remove the NUL character", field="name")
    prefix = secrets.token_hex(4)
    secret = f"swp_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        membership=membership,
        name=name,
        prefix=prefix,
        hash=digest(secret),
        scope=scope,
        created_at=now,
        kind=kind,
        application=application,
        expires_at=expires_at,
    )
    return token, secret


def token_revoke(*, prefix: str, now: datetime, membership: Membership | None = None) -> ApiToken:
    qs = ApiToken.objects.filter(prefix=prefix)
    if membership is not None:
        qs = qs.filter(membership=membership)
    with transaction.atomic():
        token = qs.select_for_update().first()
        if token is None:
            raise NotFound(f"no token with prefix {prefix!r}")
        if token.revoked_at is None:
            token.revoked_at = now
            token.save(update_fields=["revoked_at"])
    return token


def authenticate(secret: str, *, now: datetime) -> ApiToken:
    """The live token for `secret`, or Unauthenticated saying why."""
    token = (
        ApiToken.objects.select_related("membership__organization", "membership__user")
        .filter(hash=digest(secret.strip()))
        .first()
    )
    if token is None:
        raise Unauthenticated(
            "The access token is invalid; create a token in the dashboard or with `slotwise token create`"
        )
    if token.revoked_at is not None:
        raise Unauthenticated("The access token was revoked; create a new one")
    if token.expires_at is not None and now >= token.expires_at:
        raise Unauthenticated("The access token expired; refresh it with your refresh token")
    if not token.membership.user.is_active:
        raise Unauthenticated("The access token's user is deactivated")
    # The token acts in its membership's organization only, and only while that membership may act (an
    # agency admin's membership inside a sub-account lapses with their agency role).
    if current_membership(token.membership.user, membership=token.membership) is None:
        raise Unauthenticated(
            "The access token's membership no longer acts: its user is no longer an owner or admin of the agency"
        )
    # Written at most once a minute per token: a read-heavy client should not turn every GET into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def membership_for(*, email: str, org_slug: str | None = None) -> Membership:
    """The membership a CLI verb acts through: in `org_slug` exactly when given, else the user's only one."""
    qs = Membership.objects.select_related("organization", "user").filter(user__email__iexact=email.strip())
    if org_slug:
        if not Organization.objects.filter(slug=org_slug).exists():
            raise NotFound(f"no organization {org_slug!r}")
        qs = qs.filter(organization__slug=org_slug)
    members = list(qs.order_by("pk")[:2])
    if not members:
        raise NotFound(f"no member with email {email!r}" + (f" in {org_slug!r}" if org_slug else ""))
    if len(members) > 1:
        raise InvalidInput(f"{email} belongs to several organizations; add --org SLUG", field="org")
    acting = current_membership(members[0].user, membership=members[0])
    if acting is None:
        raise PermissionDenied(
            f"{email} entered {members[0].organization.slug} from its agency and is no longer an owner or admin there"
        )
    return acting


def tokens_of(membership: Membership):
    return (
        ApiToken.objects.filter(membership=membership, kind=ApiToken.Kind.PERSONAL)
        .filter(Q(revoked_at__isnull=True))
        .order_by("-created_at")
    )
