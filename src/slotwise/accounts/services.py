"""Organization membership writes: roles and team membership. Owners and admins manage; the last owner
cannot be demoted (an organization always has someone who can manage it)."""

from django.db import transaction

from slotwise.core.errors import InvalidInput, PermissionDenied

from .models import Membership


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
