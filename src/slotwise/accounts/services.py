"""Organization membership writes: roles and team membership. Owners and admins manage; the last owner
cannot be demoted (an organization always has someone who can manage it)."""

from django.db import transaction

from slotwise.core.errors import InvalidInput, PermissionDenied

from .models import Membership, Team


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


def team_members_set(*, actor: Membership, team: Team, members: list[Membership]) -> Team:
    if actor.organization_id != team.organization_id or not actor.is_admin:
        raise PermissionDenied("only owners and admins change teams")
    strangers = [m.slug for m in members if m.organization_id != team.organization_id]
    if strangers:
        raise InvalidInput(f"members: {strangers[0]} is not in this organization", field="members")
    with transaction.atomic():
        team.members.set(members)
        # A host who leaves the team leaves its event pools too.
        from slotwise.scheduling.models import PoolHost

        PoolHost.objects.filter(event_type__team=team).exclude(membership__in=members).delete()
    return team


def membership_link_settings(*, membership: Membership, offer_public_page: bool) -> Membership:
    """Whether a used, expired or revoked single-use link this host sent offers their public booking page."""
    Membership.objects.filter(pk=membership.pk).update(dead_link_offers_public_page=bool(offer_public_page))
    membership.dead_link_offers_public_page = bool(offer_public_page)
    return membership
