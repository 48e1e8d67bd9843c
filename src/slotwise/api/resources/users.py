"""GET /users/me, /users/{uuid}: a user is seen through their membership in the token's organization."""

from django.conf import settings
from ninja import Path, Router, Schema

from slotwise.accounts.models import Membership
from slotwise.core.errors import NotFound

from ..base import UUID_RE, responses, ts, uri

router = Router(tags=["users"])


class User(Schema):
    uri: str
    name: str
    slug: str
    email: str
    scheduling_url: str
    timezone: str
    avatar_url: str | None
    created_at: str
    updated_at: str
    current_organization: str
    resource_type: str = "User"


class UserResource(Schema):
    resource: User


def user_dict(m: Membership) -> dict:
    u = m.user
    return {
        "uri": uri("users", u.uuid),
        "name": u.name or u.email,
        "slug": m.slug,
        "email": u.email,
        "scheduling_url": f"{settings.BASE_URL}/{m.organization.slug}/{m.slug}",
        "timezone": u.timezone,
        "avatar_url": None,
        "created_at": ts(u.date_joined),
        "updated_at": ts(u.date_joined),
        "current_organization": uri("organizations", m.organization.uuid),
        "resource_type": "User",
    }


def member_by_user_uuid(request, user_uuid: str) -> Membership:
    m = (
        Membership.objects.select_related("user", "organization")
        .filter(organization=request.auth.membership.organization, user__uuid=user_uuid)
        .first()
    )
    if m is None:
        raise NotFound("No user with this uuid in your organization")
    return m


@router.get("/users/me", response=responses(200, UserResource), summary="The token's user")
def me(request):
    return {"resource": user_dict(request.auth.membership)}


@router.get("/users/{uuid}", response=responses(200, UserResource), summary="A user of your organization")
def user(request, uuid: str = Path(..., pattern=UUID_RE)):
    from ..base import uuid_of

    return {"resource": user_dict(member_by_user_uuid(request, uuid_of(uuid, "users", field="uuid")))}
