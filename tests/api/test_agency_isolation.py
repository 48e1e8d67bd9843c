"""Agencies through the API: a token acts in its membership's one organization. The agency's token reads
nothing of a sub-account, a sub-account's token nothing of its agency or a sibling, and a token made inside
a sub-account by an agency admin stops working when they stop being one."""

from datetime import date

import pytest

from slotwise.accounts.models import Membership
from slotwise.accounts.services import sub_account_enter
from slotwise.api.tokens import membership_for, token_create
from slotwise.bookings.models import InviteeNoShow
from slotwise.core.errors import PermissionDenied
from slotwise.scheduling.models import OutOfOffice
from slotwise.webhooks.models import WebhookSubscription
from tests import factories
from tests.api.conftest import BASE, Api
from tests.api.test_isolation import cases


@pytest.fixture
def w(db, now):
    return factories.agency_world(now)


def things(org, admin, booking):
    """The uris and uuids of one organization's rows, as test_isolation.cases takes them."""
    inv = booking.invitees.get()
    sub = WebhookSubscription.objects.create(
        organization=org,
        creator=admin,
        scope="organization",
        callback_url=f"https://{org.slug}.example.com/h",
        events=["invitee.created"],
    )
    mark = InviteeNoShow.objects.create(invitee=inv)
    away = OutOfOffice.objects.create(membership=admin, first=date(2026, 3, 9), last=date(2026, 3, 10))
    return {
        "absence": away.pk,
        "user": f"{BASE}/users/{admin.user.uuid}",
        "org": f"{BASE}/organizations/{org.uuid}",
        "et": f"{BASE}/event_types/{booking.event_type.uuid}",
        "event": str(booking.uid),
        "invitee": f"{BASE}/scheduled_events/{booking.uid}/invitees/{inv.uid}",
        "invitee_uuid": str(inv.uid),
        "sub": str(sub.uuid),
        "no_show": str(mark.uuid),
        "schedule": str(admin.schedules.get().uuid),
        "membership": str(admin.uuid),
    }


def api_for(membership, now) -> Api:
    return Api(token_create(membership=membership, scope="write", now=now)[1])


def assert_sees_nothing(api, b, secrets):
    for method, path, arg in cases(b):
        fn = getattr(api, method)
        r = fn(path, arg) if method in ("get", "post", "patch", "put") else fn(path)
        assert r.status_code == 404, (method, path, r.status_code, r.content)
        body = r.content.decode()
        leaked = [s for s in secrets if s in body and s not in str(arg) and s not in path]
        assert not leaked, (path, leaked)


def test_an_agency_admins_agency_token_reads_nothing_of_a_sub_account(w, now):
    bakery = things(w.bakery, w.sam, w.bakery_booking)
    assert_sees_nothing(api_for(w.alice, now), bakery, {"carol@bakery-client.test", "Cake tasting", "sam@bakery.test"})
    assert w.bakery_booking.invitees.get().no_show_mark is not None  # the DELETE did not reach it


def test_a_sub_account_token_reads_nothing_of_its_agency(w, now):
    agency = things(w.agency, w.alice, w.agency_booking)
    assert_sees_nothing(api_for(w.sam, now), agency, {"ann@agency-client.test", "Agency intro", "alice@northwind.test"})


def test_a_sub_account_token_reads_nothing_of_a_sibling(w, now):
    dental = things(w.dental, w.dora, w.dental_booking)
    assert_sees_nothing(api_for(w.sam, now), dental, {"dave@dental-client.test", "Check-up", "dora@dental.test"})


def test_lists_through_the_agency_token_hold_the_agency_only(w, now):
    api = api_for(w.alice, now)
    org = f"{BASE}/organizations/{w.agency.uuid}"
    events = api.get("/scheduled_events", {"organization": org}).json()["collection"]
    assert [e["uri"].rsplit("/", 1)[1] for e in events] == [str(w.agency_booking.uid)]
    types = api.get("/event_types", {"organization": org}).json()["collection"]
    assert [t["name"] for t in types] == ["Agency intro"]
    members = api.get("/organization_memberships", {"organization": org}).json()["collection"]
    assert sorted(m["user"]["email"] for m in members) == [
        "adam@northwind.test",
        "alice@northwind.test",
        "molly@northwind.test",
    ]


def test_a_token_made_inside_a_sub_account_acts_there_and_lapses_with_the_agency_role(w, now):
    entered = sub_account_enter(user=w.adam.user, organization=w.bakery)
    api = api_for(entered, now)
    events = api.get("/scheduled_events", {"organization": f"{BASE}/organizations/{w.bakery.uuid}"})
    assert [e["uri"].rsplit("/", 1)[1] for e in events.json()["collection"]] == [str(w.bakery_booking.uid)]
    Membership.objects.filter(pk=w.adam.pk).update(role="member")
    r = api.get("/users/me")
    assert r.status_code == 401
    assert "no longer an owner or admin of the agency" in r.json()["message"]


def test_the_cli_token_verb_acts_in_exactly_the_named_account(w):
    Membership.objects.create(organization=w.dental, user=w.sam.user, slug="sam")
    assert membership_for(email="sam@bakery.test", org_slug="dental").organization == w.dental
    assert membership_for(email="sam@bakery.test", org_slug="bakery").organization == w.bakery
    entered = sub_account_enter(user=w.adam.user, organization=w.bakery)
    Membership.objects.filter(pk=w.adam.pk).update(role="member")
    with pytest.raises(PermissionDenied, match="entered bakery from its agency and is no longer an owner or admin"):
        membership_for(email="adam@northwind.test", org_slug="bakery")
    assert entered.pk  # the row stays, it only stops acting


def test_an_oauth_grant_goes_to_the_account_its_page_named(w, now):
    """Sam works in two sub-accounts; the consent page says which one, and Allow grants there even when
    another tab switched accounts in between."""
    import re

    from django.test import Client

    from slotwise.api.models import OAuthGrant
    from slotwise.api.oauth import extension_application

    Membership.objects.create(organization=w.dental, user=w.sam.user, slug="sam")
    app = extension_application()
    params = {
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uris[0],
        "response_type": "code",
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
        "state": "s",
        "scope": "read",
    }
    browser = Client()
    browser.force_login(w.sam.user)
    page = browser.get("/oauth/authorize", {**params, "org": "dental"}).content.decode()
    assert "access to your Slotwise data in Bright Smile Dental" in page
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    assert form["org"] == "dental"
    browser.post("/dashboard/switch/", {"account": "bakery"})  # another tab
    r = browser.post("/oauth/authorize", {**form, "decision": "allow"})
    assert r.status_code == 302 and "code=" in r["Location"]
    assert OAuthGrant.objects.get().membership.organization == w.dental
