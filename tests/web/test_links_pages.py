"""The dashboard's single-use links page (per event type and per sender, states, create with prefill, revoke,
the dead-link setting) and the page a used, expired or revoked link shows."""

from datetime import UTC, datetime, timedelta

import pytest

from slotwise.bookings import links
from slotwise.bookings.models import SingleUseLink
from slotwise.bookings.services import InviteeInput, booking_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana_client(client, acme):
    client.force_login(acme["ana"].user)
    return client


@pytest.fixture
def team_world(acme):
    bo = factories.host(acme["org"], "bo", tz="Europe/Berlin", email="bo@acme.test")
    team = factories.team(acme["org"], [acme["ana"], bo], slug="support")
    call = factories.event_type(team=team, slug="support-call", name="Team Support Call", kind="round_robin")
    return {"bo": bo, "team": team, "call": call}


def test_links_page_lists_per_event_type_and_sender_with_states(ana_client, acme, team_world, frozen):
    ana, bo, intro, call = acme["ana"], team_world["bo"], acme["intro"], team_world["call"]
    used = links.link_create(event_type=intro, created_by=ana, now=frozen, reference="ZD-1")
    booking_create(
        event_type=intro,
        start=datetime(2026, 3, 3, 9, tzinfo=UTC),
        now=frozen,
        single_use_token=used.token,
        invitee=InviteeInput(name="Casey", email="casey@customer.test", timezone="UTC"),
    )
    expired = links.link_create(
        event_type=intro, created_by=ana, now=frozen - timedelta(days=2), expires_at=frozen - timedelta(hours=1)
    )
    revoked = links.link_revoke(link=links.link_create(event_type=call, created_by=bo, now=frozen), by=bo, now=frozen)
    fresh = links.link_create(event_type=call, created_by=bo, now=frozen, prefill_name="Dee")

    def shown(**params):
        html = ana_client.get("/dashboard/links/", params).content.decode()
        return {
            str(link.uuid): state
            for link, state in ((used, "used"), (expired, "expired"), (revoked, "revoked"), (fresh, "unused"))
            if f'data-link="{link.uuid}" data-state="{state}"' in html
        }

    assert len(shown()) == 4
    assert set(shown(event_type=call.pk)) == {str(revoked.uuid), str(fresh.uuid)}
    assert set(shown(by="ana")) == {str(used.uuid), str(expired.uuid)}
    assert set(shown(state="expired")) == {str(expired.uuid)}
    page = ana_client.get("/dashboard/links/").content.decode()
    assert "casey@customer.test" in page and "ZD-1" in page  # the booking and the reference, for the host
    assert 'class="on">Links</a>' in page  # inside the dashboard's layout


def test_create_with_prefill_and_revoke_from_the_links_page(ana_client, acme, frozen):
    r = ana_client.post(
        "/dashboard/links/",
        {
            "event_type": acme["intro"].pk,
            "expires": "24h",
            "name": "Casey",
            "email": "casey@customer.test",
            "reference": "ZD-9",
        },
    )
    assert r.status_code == 200
    link = SingleUseLink.objects.get()
    assert (link.expires_at, link.prefill_email, link.reference) == (
        frozen + timedelta(hours=24),
        "casey@customer.test",
        "ZD-9",
    )
    assert f"/d/{link.token}/" in r.content.decode()
    r = ana_client.post(f"/dashboard/links/{link.uuid}/revoke/", {"next": "/dashboard/links/?state=revoked"})
    assert r["Location"] == "/dashboard/links/?state=revoked"
    link.refresh_from_db()
    assert link.state(frozen) == "revoked" and link.revoked_by == acme["ana"]


def test_bad_input_on_the_links_page_is_shown_beside_the_field_and_keeps_the_form(ana_client, acme, frozen):
    r = ana_client.post("/dashboard/links/", {"event_type": acme["intro"].pk, "expires": "soon", "name": "Casey"})
    assert r.status_code == 400
    html = r.content.decode()
    assert 'data-error-for="expires"' in html and "neither a duration" in html and 'value="Casey"' in html
    assert not SingleUseLink.objects.exists()


def test_a_member_cannot_revoke_a_link_they_did_not_send(client, acme, team_world, frozen):
    link = links.link_create(event_type=team_world["call"], created_by=acme["ana"], now=frozen)
    client.force_login(team_world["bo"].user)
    client.post(f"/dashboard/links/{link.uuid}/revoke/")
    link.refresh_from_db()
    assert link.revoked_at is None


@pytest.mark.parametrize("state", ["used", "expired", "revoked"])
def test_a_dead_link_says_why_and_offers_the_public_page_only_if_the_host_allows(client, acme, frozen, state):
    ana, intro = acme["ana"], acme["intro"]
    if state == "expired":
        link = links.link_create(
            event_type=intro, created_by=ana, now=frozen - timedelta(days=1), expires_at=frozen - timedelta(minutes=1)
        )
    else:
        link = links.link_create(event_type=intro, created_by=ana, now=frozen)
    if state == "used":
        booking_create(
            event_type=intro,
            start=datetime(2026, 3, 3, 9, tzinfo=UTC),
            now=frozen,
            single_use_token=link.token,
            invitee=InviteeInput(name="C", email="c@x.test", timezone="UTC"),
        )
    if state == "revoked":
        links.link_revoke(link=link, by=ana, now=frozen)
    r = client.get(f"/d/{link.token}/")
    html = r.content.decode()
    assert r.status_code == 410 and f'data-state="{state}"' in html
    assert {"used": "has been used", "expired": "has expired", "revoked": "was withdrawn"}[state] in html
    assert 'id="public-page"' not in html
    client.force_login(ana.user)
    client.post("/dashboard/links/settings/", {"offer_public_page": "on"})
    client.logout()
    html = client.get(f"/d/{link.token}/").content.decode()
    assert 'id="public-page" href="/acme/ana/"' in html


def test_booking_form_through_a_link_is_prefilled(client, acme, frozen):
    link = links.link_create(
        event_type=acme["intro"],
        created_by=acme["ana"],
        now=frozen,
        prefill_name="Casey Customer",
        prefill_email="casey@customer.test",
    )
    html = client.get(f"/d/{link.token}/", {"start": "2026-03-03T09:00:00Z"}).content.decode()
    assert 'value="Casey Customer"' in html and 'value="casey@customer.test"' in html
