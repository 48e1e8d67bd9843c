"""GET /teams/{uuid}: the team an event type's profile names (`profile.owner`), so that uri resolves."""

from ninja import Path, Router, Schema

from slotwise.accounts.models import Team
from slotwise.core.errors import NotFound

from ..base import UUID_RE, responses, uri

router = Router(tags=["teams"])


class TeamOut(Schema):
    uri: str
    name: str
    slug: str
    timezone: str
    organization: str
    members: list[str]
    resource_type: str = "Team"


class TeamResource(Schema):
    resource: TeamOut


@router.get("/teams/{uuid}", response=responses(200, TeamResource), summary="Slotwise: a team")
def team(request, uuid: str = Path(..., pattern=UUID_RE)):
    found = (
        Team.objects.filter(organization=request.auth.membership.organization, uuid=uuid)
        .prefetch_related("members__user")
        .first()
    )
    if found is None:
        raise NotFound("uuid: no such team in this organization", field="uuid")
    return {
        "resource": {
            "uri": uri("teams", found.uuid),
            "name": found.name,
            "slug": found.slug,
            "timezone": found.timezone,
            "organization": uri("organizations", found.organization.uuid),
            "members": [uri("users", m.user.uuid) for m in found.members.order_by("slug")],
        }
    }
