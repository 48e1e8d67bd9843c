"""POST /data_compliance/deletion/invitees: forget people by email (owners and admins only)."""

from ninja import Status, Router, Schema

from ..base import idempotent, require_admin, require_write, responses
from ..services import invitees_forget

router = Router(tags=["data_compliance"])


class DeletionBody(Schema):
    emails: list[str]


class Accepted(Schema):
    pass


@router.post(
    "/data_compliance/deletion/invitees", response=responses(202, Accepted), summary="Delete invitee data"
)
@idempotent
def delete_invitees(request, body: DeletionBody):
    require_write(request)
    require_admin(request, "Deleting invitee data")
    invitees_forget(organization=request.auth.membership.organization, emails=body.emails, now=request.now)
    return Status(202, {})
