"""The dashboard's account switcher and the agency overview: every page acts in exactly one account, the
one the switcher remembered; an account you may not enter is refused with a message, never swapped."""

import pytest

from slotwise.accounts.models import Membership, Organization
from slotwise.accounts.selectors import SESSION_KEY
from slotwise.jobs.services import enqueue, run_due
from tests import factories

pytestmark = pytest.mark.django_db

# What each account's pages must show, and no other account's page may.
ROWS = {
    "northwind": ["Agency intro", "ann@agency-client.test"],
    "bakery": ["Cake tasting", "carol@bakery-client.test"],
    "dental": ["Check-up", "dave@dental-client.test"],
}
PAGES = ["/dashboard/", "/dashboard/bookings/?tab=upcoming", "/dashboard/contacts/", "/dashboard/links/"]


@pytest.fixture
def w(now, frozen):
    return factories.agency_world(now)


def switch(client, slug, next_="/dashboard/"):
    return client.post("/dashboard/switch/", {"account": slug, "next": next_})


def page_text(client, path):
    resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code)
    return resp.content.decode()


def assert_only(client, slug):
    """Every list page shows this account's rows and none of another's."""
    for path in PAGES:
        html = page_text(client, path)
        for other, words in ROWS.items():
            for word in words:
                if other != slug:
                    assert word not in html, (slug, path, word)
    home = (
        page_text(client, "/dashboard/")
        + page_text(client, "/dashboard/bookings/")
        + page_text(client, "/dashboard/contacts/")
    )
    assert all(word in home for word in ROWS[slug]), (slug, ROWS[slug])


def test_the_switcher_lists_the_agency_and_its_sub_accounts_grouped(client, w):
    client.force_login(w.adam.user)
    html = page_text(client, "/dashboard/")
    assert '<optgroup label="Northwind Agency (agency)">' in html
    for slug in ("northwind", "bakery", "dental"):
        assert f'<option value="{slug}"' in html
    assert '<option value="northwind" selected>' in html
    assert '<meta name="slotwise-account" content="northwind">' in html
    assert 'href="/dashboard/agency/"' in html


def test_an_agency_admin_switches_into_each_sub_account_and_sees_only_its_rows(client, w):
    client.force_login(w.adam.user)
    assert_only(client, "northwind")
    for slug in ("bakery", "dental"):
        resp = switch(client, slug, next_="/dashboard/bookings/")
        assert (resp.status_code, resp["Location"]) == (302, "/dashboard/bookings/")
        assert client.session[SESSION_KEY] == slug
        assert_only(client, slug)
    entered = Membership.objects.get(user=w.adam.user, organization=w.bakery)
    assert (entered.role, entered.via_agency) == ("admin", True)


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/",
        "/dashboard/links/",
        "/dashboard/availability/",
        "/dashboard/bookings/",
        "/dashboard/team/",
        "/dashboard/contacts/",
        "/dashboard/calendars/",
        "/dashboard/webhooks/",
        "/dashboard/jobs/",
        "/dashboard/rules/",
        "/dashboard/tokens/",
    ],
)
def test_an_agency_admin_who_just_entered_a_sub_account_can_open_every_page(client, w, path):
    """Entering creates a membership with no hours or calendars yet: no page may fail on that."""
    client.force_login(w.adam.user)
    switch(client, "bakery")
    resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code)
    assert '<option value="bakery" selected>' in resp.content.decode()


def test_switching_back_after_a_row_page_lands_on_the_section_not_the_row(client, w):
    client.force_login(w.alice.user)
    switch(client, "bakery")
    resp = switch(client, "northwind", next_=f"/dashboard/bookings/{w.bakery_booking.uid}/")
    assert resp["Location"] == "/dashboard/bookings/"


def test_the_switcher_refuses_a_sibling_and_keeps_the_account(client, w):
    client.force_login(w.sam.user)
    html = page_text(client, "/dashboard/")
    assert 'value="dental"' not in html and 'value="northwind"' not in html and "Northwind" not in html
    for slug in ("dental", "northwind", "no-such-account"):
        resp = switch(client, slug)
        assert resp.status_code == 404
        assert f"There is no account &#x27;{slug}&#x27; that you may enter." in resp.content.decode()
    assert client.session.get(SESSION_KEY) in (None, "bakery")
    assert_only(client, "bakery")
    assert not Membership.objects.filter(user=w.sam.user).exclude(organization=w.bakery).exists()


def test_an_agency_member_cannot_switch_into_sub_accounts(client, w):
    client.force_login(w.molly.user)
    assert switch(client, "bakery").status_code == 404
    assert not Membership.objects.filter(user=w.molly.user, organization=w.bakery).exists()


def test_naming_an_account_you_may_not_enter_is_refused_not_replaced(client, w):
    client.force_login(w.sam.user)
    resp = client.get("/dashboard/bookings/?org=dental")
    assert resp.status_code == 404
    html = resp.content.decode()
    assert "There is no account &#x27;dental&#x27; that you may enter." in html
    assert "carol@bakery-client.test" not in html and "dave@dental-client.test" not in html


def test_an_agency_admin_naming_a_sub_account_not_entered_yet_is_offered_to_enter(client, w):
    client.force_login(w.adam.user)
    resp = client.get("/dashboard/contacts/?org=dental")
    assert resp.status_code == 403
    html = resp.content.decode()
    assert "You have not entered Bright Smile Dental yet" in html and "Enter Bright Smile Dental" in html
    assert "dave@dental-client.test" not in html
    assert not Membership.objects.filter(user=w.adam.user, organization=w.dental).exists()


def test_a_form_acts_in_the_account_its_page_was_shown_for(client, w):
    """Switched to the bakery in another tab; the form of the agency's page still says org=northwind."""
    client.force_login(w.alice.user)
    switch(client, "bakery")
    resp = client.post("/dashboard/team/", {"org": "northwind", "member": w.molly.pk, "role": "admin"})
    assert resp.status_code == 302
    w.molly.refresh_from_db()
    assert w.molly.role == "admin"
    assert client.session[SESSION_KEY] == "northwind"


def test_a_form_naming_a_sibling_changes_nothing(client, w):
    client.force_login(w.sam.user)
    resp = client.post("/dashboard/team/", {"org": "dental", "member": w.dora.pk, "role": "member"})
    assert resp.status_code == 404
    w.dora.refresh_from_db()
    assert w.dora.role == "owner"


def test_an_account_lost_since_it_was_remembered_is_said_and_forgotten(client, w):
    client.force_login(w.adam.user)
    switch(client, "bakery")
    Membership.objects.filter(pk=w.adam.pk).update(role="member")  # no longer an agency admin
    resp = client.get("/dashboard/", follow=True)
    assert resp.status_code == 200
    assert "You can no longer act in &#x27;bakery&#x27;; this is Northwind Agency." in resp.content.decode()
    assert client.session[SESSION_KEY] == "northwind"
    assert "carol@bakery-client.test" not in page_text(client, "/dashboard/contacts/")


def test_the_team_page_marks_who_came_from_the_agency(client, w):
    client.force_login(w.alice.user)
    switch(client, "bakery")
    html = page_text(client, "/dashboard/team/")
    assert "alice@northwind.test" in html and "from the agency" in html
    assert "adam@northwind.test" not in html  # adam never entered


def test_the_public_page_of_a_sub_account_does_not_list_agency_visitors(client, w):
    client.force_login(w.alice.user)
    switch(client, "bakery")
    client.logout()
    html = client.get("/bakery/").content.decode()
    assert "/bakery/sam/" in html and "/bakery/alice/" not in html


def test_the_failed_jobs_page_shows_the_one_account_acted_in(client, w, now):
    ours = enqueue("nobody.handles.this", {}, due_at=now, max_attempts=1, organization_id=w.agency.pk)
    theirs = enqueue("nobody.handles.this", {}, due_at=now, max_attempts=1, organization_id=w.bakery.pk)
    run_due(now)
    client.force_login(w.alice.user)
    assert [j.pk for j in client.get("/dashboard/jobs/").context["jobs"]] == [ours.pk]
    switch(client, "bakery")
    assert [j.pk for j in client.get("/dashboard/jobs/").context["jobs"]] == [theirs.pk]


# --- the agency overview ----------------------------------------------------------------------------------


def test_the_agency_overview_counts_each_sub_accounts_members_event_types_and_bookings(client, w):
    Membership.objects.create(organization=w.bakery, user=w.molly.user, slug="molly")
    client.force_login(w.alice.user)
    switch(client, "dental")  # an agency visitor: not counted as a member of dental
    switch(client, "northwind")
    resp = client.get("/dashboard/agency/")
    assert resp.status_code == 200
    rows = {o.slug: (o.n_members, o.n_event_types, o.n_bookings) for o in resp.context["sub_accounts"]}
    assert rows == {"bakery": (2, 1, 1), "dental": (1, 1, 1)}
    html = resp.content.decode()
    assert "Rosa&#x27;s Bakery" in html and "Bright Smile Dental" in html


def test_creating_a_sub_account_from_the_overview(client, w):
    client.force_login(w.adam.user)
    resp = client.post("/dashboard/agency/", {"name": "Corner Florist", "slug": "", "timezone": "Europe/Paris"})
    assert (resp.status_code, resp["Location"]) == (302, "/dashboard/agency/")
    org = Organization.objects.get(slug="corner-florist")
    assert (org.parent, org.timezone) == (w.agency, "Europe/Paris")
    assert 'value="corner-florist"' in page_text(client, "/dashboard/agency/")


def test_a_bad_sub_account_is_refused_beside_the_field_and_nothing_is_created(client, w):
    client.force_login(w.adam.user)
    resp = client.post("/dashboard/agency/", {"name": "Client", "slug": "bakery", "timezone": "Europe/Paris"})
    assert resp.status_code == 400
    assert "The web address &#x27;bakery&#x27; is taken; choose another" in resp.content.decode()
    assert not Organization.objects.filter(name="Client").exists()


@pytest.mark.parametrize(
    "who, message",
    [
        ("molly", "only owners and admins of Northwind Agency see it"),
        ("sam", "Rosa&#x27;s Bakery is not an agency"),
    ],
)
def test_the_agency_overview_is_only_for_the_agencys_owners_and_admins(client, w, who, message):
    client.force_login(getattr(w, who).user)
    resp = client.get("/dashboard/agency/")
    assert resp.status_code == 403 and message in resp.content.decode()
    resp = client.post("/dashboard/agency/", {"name": "Sneaky", "timezone": "UTC"})
    assert resp.status_code == 403
    assert not Organization.objects.filter(name="Sneaky").exists()


def test_the_agency_overview_is_refused_inside_a_sub_account(client, w):
    client.force_login(w.alice.user)
    switch(client, "bakery")
    resp = client.get("/dashboard/agency/")
    assert resp.status_code == 403 and "Switch to your agency first" in resp.content.decode()
