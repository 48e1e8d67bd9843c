"""GET /organizations/{uuid}, GET /organization_memberships."""

from django.db.models import Q
from ninja import Path, Query, Router, Schema

from slotwise.accounts.models import Membership
from slotwise.core.errors import NotFound

from ..base import UUID_RE, Pagination, check_org, paginate, responses, ts, uri, uri_re, uuid_of
from .users import User, user_dict

router = Router(tags=["organizations"])

ROLES = {Membership.Role.OWNER: "owner", Membership.Role.ADMIN: "admin", Membership.Role.MEMBER: "user"}


class Organization(Schema):
    uri: str
    name: str
    slug: str
    plan: str
    stage: str
    created_at: str
    updated_at: str


class OrganizationResource(Schema):
    resource: Organization


class Membership_(Schema):
    uri: str
    role: str
    user: User
    organization: str
    updated_at: str
    created_at: str


class MembershipCollection(Schema):
    collection: list[Membership_]
    pagination: Pagination


def organization_dict(org) -> dict:
    # Self-hosted: every feature is there, so the plan that has them all.
    return {
        "uri": uri("organizations", org.uuid),
        "name": org.name,
        "slug": org.slug,
        "plan": "enterprise",
        "stage": "paid",
        "created_at": ts(org.created_at),
        "updated_at": ts(org.created_at),
    }


def membership_dict(m: Membership) -> dict:
    return {
        "uri": uri("organization_memberships", m.uuid),
        "role": ROLES.get(m.role, "user"),
        "user": user_dict(m),
        "organization": uri("organizations", m.organization.uuid),
        "updated_at": ts(m.created_at),
        "created_at": ts(m.created_at),
    }


@router.get("/organizations/{uuid}", response=responses(200, OrganizationResource), summary="Your organization")
def organization(request, uuid: str = Path(..., pattern=UUID_RE)):
    org = request.auth.membership.organization
    if uuid_of(uuid, "organizations", field="uuid") != str(org.uuid):
        raise NotFound("No organization with this uuid")
    return {"resource": organization_dict(org)}


@router.get(
    "/organization_memberships", response=responses(200, MembershipCollection), summary="Members of your organization"
)
def memberships(
    request,
    organization: str | None = Query(None, pattern=uri_re("organizations")),
    user: str | None = Query(None, pattern=uri_re("users")),
    email: str | None = None,
    count: int = Query(20, ge=1, le=100),
    page_token: str | None = None,
):
    check_org(request, organization)
    qs = (
        Membership.objects.active()
        .select_related("user", "organization")
        .filter(organization=request.auth.membership.organization)
    )
    if user:
        qs = qs.filter(user__uuid=uuid_of(user, "users", field="user"))
    if email:
        qs = qs.filter(Q(user__email__iexact=email.strip()))
    return paginate(request, qs, order="created_at", count=count, page_token=page_token, serialize=membership_dict)


@router.get(
    "/organization_memberships/{uuid}",
    response=responses(200, type("MembershipResource", (Schema,), {"__annotations__": {"resource": Membership_}})),
    summary="One membership",
)
def membership(request, uuid: str = Path(..., pattern=UUID_RE)):
    m = (
        Membership.objects.select_related("user", "organization")
        .filter(
            organization=request.auth.membership.organization,
            uuid=uuid_of(uuid, "organization_memberships", field="uuid"),
        )
        .first()
    )
    if m is None:
        raise NotFound("No membership with this uuid in your organization")
    return {"resource": membership_dict(m)}
