"""Agencies and sub-accounts: one level, who may enter a sub-account, and the one "who is acting" rule."""

import pytest
from django.db import IntegrityError, transaction

from slotwise.accounts.models import Membership, Organization
from slotwise.accounts.selectors import current_membership, enterable_accounts, may_enter
from slotwise.accounts.services import organization_place, sub_account_create, sub_account_enter
from slotwise.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(now):
    return factories.agency_world(now)


# --- one level -------------------------------------------------------------------------------------------


def test_an_organization_cannot_be_its_own_agency(w):
    with pytest.raises(InvalidInput, match="cannot be a sub-account of itself"):
        organization_place(organization=w.agency, is_agency=True, parent=w.agency)


def test_only_an_agency_has_sub_accounts(w):
    plain = factories.org("plain")
    with pytest.raises(InvalidInput, match="bakery is not an agency; only an agency has sub-accounts"):
        organization_place(organization=plain, is_agency=False, parent=w.bakery)
    assert Organization.objects.get(slug="plain").parent is None


def test_a_sub_account_cannot_be_an_agency(w):
    with pytest.raises(
        InvalidInput, match="cannot be an agency and a sub-account of northwind: agencies have one level"
    ):
        organization_place(organization=w.bakery, is_agency=True, parent=w.agency)


def test_an_agency_with_sub_accounts_cannot_become_a_sub_account(w):
    other = factories.org("other-agency", is_agency=True)
    with pytest.raises(
        InvalidInput,
        match=r"northwind has sub-accounts \(bakery, dental\); it cannot become a "
        r"sub-account of other-agency",
    ):
        organization_place(organization=w.agency, is_agency=False, parent=other)
    w.agency.refresh_from_db()
    assert (w.agency.is_agency, w.agency.parent) == (True, None)


def test_an_agency_with_sub_accounts_cannot_stop_being_one(w):
    with pytest.raises(InvalidInput, match="it cannot stop being an agency"):
        organization_place(organization=w.agency, is_agency=False, parent=None)


def test_the_database_refuses_a_sub_account_that_is_an_agency(w):
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.filter(pk=w.bakery.pk).update(is_agency=True)


def test_a_stand_alone_organization_joins_an_agency(w):
    joiner = factories.org("joiner")
    organization_place(organization=joiner, is_agency=False, parent=w.agency)
    assert Organization.objects.get(slug="joiner").parent == w.agency


# --- creating sub-accounts ----------------------------------------------------------------------------


def test_an_agency_admin_creates_a_sub_account_and_is_its_first_owner(w):
    org = sub_account_create(actor=w.adam, name="Corner Florist", timezone="Europe/Paris")
    assert (org.slug, org.parent, org.timezone, org.is_agency) == ("corner-florist", w.agency, "Europe/Paris", False)
    m = Membership.objects.get(organization=org)
    assert (m.user, m.role, m.via_agency) == (w.adam.user, "owner", True)


def test_a_sub_account_takes_the_agency_zone_when_none_is_given(w):
    assert sub_account_create(actor=w.alice, name="Plain", slug="plain-co").timezone == w.agency.timezone


def test_an_agency_member_cannot_create_sub_accounts(w):
    with pytest.raises(PermissionDenied, match="Only the agency's owners and admins"):
        sub_account_create(actor=w.molly, name="Sneaky")


def test_an_organization_that_is_no_agency_cannot_create_sub_accounts(w):
    with pytest.raises(PermissionDenied, match="Rosa's Bakery is not an agency"):
        sub_account_create(actor=w.sam, name="Sub of a sub")


@pytest.mark.parametrize(
    "slug, message",
    [
        ("dashboard", "'dashboard' is a page of Slotwise itself"),
        ("Not A Slug", "'not a slug' cannot be a web address"),
    ],
)
def test_a_sub_account_web_address_must_be_usable(w, slug, message):
    with pytest.raises(InvalidInput, match=message):
        sub_account_create(actor=w.alice, name="Client", slug=slug)
    assert not Organization.objects.filter(name="Client").exists()


def test_a_taken_web_address_is_a_conflict_and_writes_nothing(w):
    with pytest.raises(Conflict, match="The web address 'bakery' is taken"):
        sub_account_create(actor=w.alice, name="Another bakery", slug="bakery")
    assert Organization.objects.filter(parent=w.agency).count() == 2


def test_a_sub_account_needs_a_name_and_a_real_zone(w):
    with pytest.raises(InvalidInput, match="Give the sub-account a name"):
        sub_account_create(actor=w.alice, name="  ")
    with pytest.raises(InvalidInput, match="Unknown time zone 'Mars/Olympus'; choose one from the list"):
        sub_account_create(actor=w.alice, name="Client", timezone="Mars/Olympus")
    with pytest.raises(InvalidInput, match="The name must not contain a NUL character"):
        sub_account_create(actor=w.alice, name="Cli\x00ent")
    assert not Organization.objects.filter(name__startswith="Cli").exists()


# --- entering, and who is acting -------------------------------------------------------------------------


def test_an_agency_admin_entering_a_sub_account_gets_a_membership_with_their_agency_role(w):
    m = sub_account_enter(user=w.adam.user, organization=w.bakery)
    assert (m.organization, m.role, m.via_agency, m.slug) == (w.bakery, "admin", True, "adam")
    owner = sub_account_enter(user=w.alice.user, organization=w.bakery)
    assert owner.role == "owner"
    assert sub_account_enter(user=w.adam.user, organization=w.bakery).pk == m.pk  # once


def test_an_agency_member_may_not_enter_its_sub_accounts(w):
    with pytest.raises(NotFound, match="There is no account 'bakery' that you may enter"):
        sub_account_enter(user=w.molly.user, organization=w.bakery)
    assert not may_enter(w.molly.user, w.bakery)


def test_a_sub_account_member_may_not_enter_a_sibling_or_the_agency(w):
    for org in (w.dental, w.agency):
        with pytest.raises(NotFound):
            sub_account_enter(user=w.sam.user, organization=org)
        assert not may_enter(w.sam.user, org)
    assert not Membership.objects.filter(user=w.sam.user).exclude(organization=w.bakery).exists()


def test_a_named_account_is_acted_in_or_refused_never_replaced(w):
    assert current_membership(w.sam.user, organization="bakery") == w.sam
    assert current_membership(w.sam.user, organization="dental") is None
    assert current_membership(w.adam.user, organization="bakery") is None  # not entered yet
    assert current_membership(w.adam.user) == w.adam


def test_an_agency_membership_lapses_with_the_agency_role(w):
    entered = sub_account_enter(user=w.adam.user, organization=w.bakery)
    Membership.objects.filter(pk=w.adam.pk).update(role="member")
    assert current_membership(w.adam.user, organization="bakery") is None
    assert current_membership(w.adam.user, membership=entered) is None
    with pytest.raises(NotFound):
        sub_account_enter(user=w.adam.user, organization=w.bakery)
    Membership.objects.filter(pk=w.adam.pk).update(role="admin")
    assert current_membership(w.adam.user, organization="bakery") == entered


def test_a_user_in_several_sub_accounts_has_a_role_in_each(w):
    sam_at_dental = Membership.objects.create(organization=w.dental, user=w.sam.user, slug="sam", role="member")
    assert current_membership(w.sam.user, organization="bakery").role == "owner"
    assert current_membership(w.sam.user, organization="dental") == sam_at_dental
    assert current_membership(w.sam.user, organization="dental").role == "member"


def test_the_switcher_groups_sub_accounts_under_their_agency(w):
    groups = enterable_accounts(w.adam.user)
    assert [(g.agency.slug, [o.slug for o in g.accounts]) for g in groups] == [
        ("northwind", ["northwind", "dental", "bakery"])
    ]


def test_a_sub_account_member_is_not_shown_the_agency(w):
    Membership.objects.create(organization=w.dental, user=w.sam.user, slug="sam")
    groups = enterable_accounts(w.sam.user)
    assert [(g.agency, [o.slug for o in g.accounts]) for g in groups] == [(None, ["dental", "bakery"])]


def test_an_agency_member_sees_only_the_agency(w):
    assert [[o.slug for o in g.accounts] for g in enterable_accounts(w.molly.user)] == [["northwind"]]
