"""POST /data_compliance/deletion/invitees: forget people by email (owners and admins only)."""

from typing import Annotated

from ninja import Field, Router, Schema, Status

from ..base import EMAIL_RE, idempotent, require_admin, require_write, responses
from ..erasure import invitees_forget

router = Router(tags=["data_compliance"])

Email = Annotated[str, Field(pattern=EMAIL_RE, max_length=254)]


class DeletionBody(Schema):
    emails: list[Email] = Field(..., min_length=1, max_length=100)


class Accepted(Schema):
    pass


@router.post("/data_compliance/deletion/invitees", response=responses(202, Accepted), summary="Delete invitee data")
@idempotent
def delete_invitees(request, body: DeletionBody):
    require_write(request)
    require_admin(request, "Deleting invitee data")
    invitees_forget(organization=request.auth.membership.organization, emails=body.emails, now=request.now)
    return Status(202, {})
