"""Who is acting, and where they may act. Agencies and sub-accounts: see Organization's docstring and
docs/agencies.md."""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q

from .models import Membership, Organization

# The dashboard remembers the account it acts in under this session key (the organization's slug).
SESSION_KEY = "slotwise_account"

ADMIN_ROLES = (Membership.Role.OWNER, Membership.Role.ADMIN)


def _agency_admin_rows(user):
    """The user's own owner/admin memberships in agencies."""
    return Membership.objects.active().filter(
        user=user, role__in=ADMIN_ROLES, via_agency=False, organization__is_agency=True
    )


def _may_act(user):
    """A membership acts unless it came from the agency and its user is no longer the agency's owner or admin."""
    backed = _agency_admin_rows(user).filter(organization_id=OuterRef("organization__parent_id"))
    return Q(via_agency=False) | Q(Exists(backed))


def current_membership(
    user, *, organization: str | None = None, membership: Membership | None = None
) -> Membership | None:
    """The one rule for who a signed-in person acts as, on every page, API call and CLI verb, always in
    exactly one organization:

    - `membership` (the one an API token or OAuth grant names): that membership, if it may still act;
    - `organization` (a slug: ?org=, or the account the dashboard's switcher remembered): the user's
      membership in that organization, if it may act, else None, never a membership elsewhere;
    - neither: their oldest membership that may act.

    A membership created for an agency's owner or admin inside a sub-account (`via_agency`) acts only while
    they are still an owner or admin of that agency. Entering a sub-account for the first time is a write:
    `accounts.services.sub_account_enter`."""
    if user is None or not user.is_authenticated:
        return None
    qs = Membership.objects.active().filter(user=user).filter(_may_act(user)).select_related("organization", "user")
    if membership is not None:
        return qs.filter(pk=membership.pk).first()
    if organization:
        qs = qs.filter(organization__slug=organization)
    return qs.order_by("pk").first()


def may_enter(user, organization: Organization) -> bool:
    """A member of it, or an owner or admin of its agency."""
    if user is None or not user.is_authenticated:
        return False
    if current_membership(user, organization=organization.slug) is not None:
        return True
    return (
        organization.parent_id is not None
        and _agency_admin_rows(user).filter(organization_id=organization.parent_id).exists()
    )


@dataclass
class AccountGroup:
    """One group of the account switcher: an agency (with the sub-accounts this user may enter), or None
    for organizations outside any agency."""

    agency: Organization | None
    accounts: list[Organization] = field(default_factory=list)


def enterable_accounts(user) -> list[AccountGroup]:
    """Every organization the user may act in, grouped under their agency: their own memberships, plus
    every sub-account of the agencies where they are an owner or admin."""
    if user is None or not user.is_authenticated:
        return []
    admin_of = _agency_admin_rows(user).values("organization_id")
    own = set(
        Membership.objects.active().filter(user=user).filter(_may_act(user)).values_list("organization_id", flat=True)
    )
    orgs = (
        Organization.objects.filter(Q(pk__in=own) | Q(parent_id__in=admin_of))
        .select_related("parent")
        .order_by("name", "slug")
    )
    groups: dict[int | None, AccountGroup] = {}
    for org in orgs:
        agency = org if org.is_agency else org.parent
        if agency is not None and agency.pk not in own:
            agency = None  # a sub-account's own member is not shown the agency that runs it
        key = agency.pk if agency else None
        group = groups.setdefault(key, AccountGroup(agency=agency))
        if org.is_agency:
            group.accounts.insert(0, org)
        else:
            group.accounts.append(org)
    return sorted(groups.values(), key=lambda g: (g.agency is None, g.agency.name.lower() if g.agency else ""))
