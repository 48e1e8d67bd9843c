"""Owners and admins invite members by email: a signed single-use link that sets name, password and time
zone; invitations can be resent (the old link dies), revoked, and expire after seven days."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from slotwise.accounts.models import Invitation, Membership, User
from slotwise.accounts.selectors import current_membership
from slotwise.accounts.services import (
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_refusal,
    invitation_resend,
    invitation_revoke,
    invitation_token,
)
from slotwise.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from slotwise.jobs.services import run_due
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def support():
    org = factories.org("support", name="Support Co")
    lead = factories.host(org, "lead", role="owner", email="lead@support.test")
    User.objects.filter(pk=lead.user_id).update(name="Lena Lead")
    lead.refresh_from_db()
    return org, lead


def _link(message) -> str:
    return re.search(r"https://book\.example\.com/invite/(\S+)/", message.get_body(("plain",)).get_content())[1]


def test_an_invitation_sends_an_email_whose_link_sets_name_password_and_zone(support, smtp):
    org, lead = support
    inv = invitation_create(organization=org, email=" Eve@Support.TEST ", role="member", invited_by=lead, now=NOW)
    assert (inv.email, inv.expires_at) == ("eve@support.test", NOW + timedelta(days=7))
    run_due(NOW)
    (msg,) = smtp.to("eve@support.test")
    assert msg["Subject"] == "Lena Lead invites you to Support Co on Slotwise"
    token = _link(msg)
    m = invitation_accept(token=token, name="Eve Engineer", password=PASSWORD, timezone="America/Chicago", now=NOW)
    assert (m.organization, m.role, m.slug, m.user.name, m.user.timezone) == (
        org,
        "member",
        "eve",
        "Eve Engineer",
        "America/Chicago",
    )
    assert m.user.check_password(PASSWORD)
    inv.refresh_from_db()
    assert (inv.accepted_at, inv.membership) == (NOW, m)
    with pytest.raises(Conflict, match="already accepted"):
        invitation_accept(token=token, name="Eve", password=PASSWORD, timezone="UTC", now=NOW)


def test_a_resend_gives_a_new_link_and_the_old_one_says_it_was_replaced(support, smtp):
    org, lead = support
    inv = invitation_create(organization=org, email="eve@support.test", role="member", invited_by=lead, now=NOW)
    old = invitation_token(inv)
    later = NOW + timedelta(days=6)
    invitation_resend(actor=lead, invitation=inv, now=later)
    run_due(later)
    assert len(smtp.to("eve@support.test")) == 1  # the first job finds its link replaced and sends nothing
    new = _link(smtp.to("eve@support.test")[0])
    assert new != old
    assert invitation_refusal(invitation_from_token(old), later) == (
        "This invitation link was replaced by a newer one: use the link in the latest email."
    )
    with pytest.raises(Conflict, match="replaced by a newer one"):
        invitation_accept(token=old, name="Eve", password=PASSWORD, timezone="UTC", now=later)
    # The resend counts seven days again: past the first link's expiry, the new one still works.
    m = invitation_accept(token=new, name="Eve", password=PASSWORD, timezone="UTC", now=NOW + timedelta(days=8))
    assert m.user.email == "eve@support.test"


def test_revoked_and_expired_invitations_say_so_and_who_to_ask(support):
    org, lead = support
    inv = invitation_create(organization=org, email="eve@support.test", role="member", invited_by=lead, now=NOW)
    link = invitation_from_token(invitation_token(inv))
    assert invitation_refusal(link, NOW + timedelta(days=7)) == (
        "This invitation expired on 09 Mar 2026. Ask Lena Lead for a new one."
    )
    invitation_revoke(actor=lead, invitation=inv, now=NOW)
    with pytest.raises(Conflict, match=r"^This invitation was revoked\. Ask Lena Lead for a new one\.$"):
        invitation_accept(token=invitation_token(inv), name="Eve", password=PASSWORD, timezone="UTC", now=NOW)
    with pytest.raises(Conflict, match="was revoked; there is nothing to resend"):
        invitation_resend(actor=lead, invitation=inv, now=NOW)
    # After a revoke the address can be invited again.
    again = invitation_create(organization=org, email="eve@support.test", role="admin", invited_by=lead, now=NOW)
    assert again.pk != inv.pk


def test_an_expired_invitation_is_renewed_by_inviting_again(support):
    org, lead = support
    inv = invitation_create(organization=org, email="eve@support.test", role="member", invited_by=lead, now=NOW)
    with pytest.raises(Conflict, match="has not answered yet; resend that invitation"):
        invitation_create(organization=org, email="eve@support.test", role="member", invited_by=lead, now=NOW)
    later = NOW + timedelta(days=10)
    renewed = invitation_create(organization=org, email="eve@support.test", role="admin", invited_by=lead, now=later)
    assert (renewed.pk, renewed.role, renewed.expires_at) == (inv.pk, "admin", later + timedelta(days=7))
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize(
    ("email", "role", "message"),
    [
        ("not-an-address", "member", "Enter the email address to invite, such as ana@example.com"),
        ("eve@support.test", "boss", "Choose a role: owner, admin, member"),
        ("lead@support.test", "member", "lead@support.test is already a member of Support Co"),
    ],
)
def test_bad_invitations_are_refused_in_words(support, email, role, message):
    org, lead = support
    with pytest.raises((InvalidInput, Conflict)) as exc:
        invitation_create(organization=org, email=email, role=role, invited_by=lead, now=NOW)
    assert exc.value.message == message
    assert not Invitation.objects.exists()


def test_only_owners_and_admins_invite_and_only_owners_invite_owners(support):
    org, lead = support
    member = factories.host(org, "mia")
    admin = factories.host(org, "adam", role="admin")
    with pytest.raises(PermissionDenied, match="Only owners and admins invite members"):
        invitation_create(organization=org, email="x@support.test", role="member", invited_by=member, now=NOW)
    with pytest.raises(PermissionDenied, match="Only an owner invites another owner"):
        invitation_create(organization=org, email="x@support.test", role="owner", invited_by=admin, now=NOW)
    other = factories.host(factories.org("other"), "olga", role="owner")
    with pytest.raises(PermissionDenied):
        invitation_create(organization=org, email="x@support.test", role="member", invited_by=other, now=NOW)


def test_accepting_reports_every_bad_field_at_once(support):
    org, lead = support
    inv = invitation_create(organization=org, email="eve@support.test", role="member", invited_by=lead, now=NOW)
    with pytest.raises(InvalidInput) as exc:
        invitation_accept(token=invitation_token(inv), name="", password="123", timezone="Mars/Olympus", now=NOW)
    fields = {d["parameter"] for d in exc.value.details}
    assert fields == {"name", "password", "timezone"}
    assert not User.objects.filter(email="eve@support.test").exists()


def test_someone_with_an_account_elsewhere_confirms_with_its_password(support):
    org, lead = support
    elsewhere = factories.host(factories.org("other"), "eve", email="eve@support.test")
    inv = invitation_create(organization=org, email="eve@support.test", role="member", invited_by=lead, now=NOW)
    with pytest.raises(InvalidInput, match="already has a Slotwise account: enter its password"):
        invitation_accept(token=invitation_token(inv), name="", password="wrong", timezone="UTC", now=NOW)
    m = invitation_accept(token=invitation_token(inv), name="", password=PASSWORD, timezone="UTC", now=NOW)
    assert m.user == elsewhere.user and m.organization == org


def test_a_link_that_is_not_ours_is_not_found(support):
    with pytest.raises(NotFound, match="not valid"):
        invitation_from_token("00000000-0000-0000-0000-000000000000.abc:forged")


def test_a_removed_member_invited_again_is_active_again_with_the_new_role(support):
    from slotwise.bookings.services import member_remove

    org, lead = support
    eve = factories.host(org, "eve", email="eve@support.test")
    member_remove(actor=lead, membership=eve, now=NOW)
    assert current_membership(eve.user) is None
    inv = invitation_create(organization=org, email="eve@support.test", role="admin", invited_by=lead, now=NOW)
    m = invitation_accept(token=invitation_token(inv), name="", password=PASSWORD, timezone="UTC", now=NOW)
    assert (m.pk, m.role, m.deactivated_at) == (eve.pk, "admin", None)
    assert current_membership(eve.user) == m
    assert Membership.objects.filter(organization=org).count() == 2
