"""Managed single-use links through the API: Calendly's POST /scheduling_links unchanged, and the Slotwise
extras (list, get, revoke), expiry, prefill, stars, and the browser extension's calls (its event types, its
link call, and the OAuth PKCE sign-in it makes)."""

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from slotwise.api.oauth import EXTENSION_CLIENT_ID, EXTENSION_REDIRECT_URIS
from slotwise.bookings.models import Booking, SingleUseLink
from slotwise.bookings.services import InviteeInput, booking_create
from slotwise.core.errors import LinkUsed
from slotwise.scheduling.models import EventTypeStar
from tests import factories

from .conftest import BASE, Api

pytestmark = pytest.mark.django_db

EXT = "/api/apps/extension/v1/users/me"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BASE_URL = "http://testserver"  # so that the uris we get back are BASE's


def make(world, **form):
    return world.api.client.post(
        f"{EXT}/event_type_single_use_links",
        {"event_type_uuid": str(world.et.uuid), **form},
        HTTP_AUTHORIZATION=f"Bearer {world.api.secret}",
    )


def book(link, start, now, name="Ada Lovelace", email="ada@example.com"):
    return booking_create(
        event_type=link.event_type,
        start=start,
        now=now,
        single_use_token=link.token,
        invitee=InviteeInput(name=name, email=email, timezone="Europe/London"),
    )


def test_calendly_post_scheduling_links_keeps_its_shape(world):
    r = world.api.post(
        "/scheduling_links",
        {"max_event_count": 1, "owner": f"{BASE}/event_types/{world.et.uuid}", "owner_type": "EventType"},
    )
    assert r.status_code == 201
    link = SingleUseLink.objects.get()
    assert r.json() == {
        "resource": {
            "booking_url": f"http://testserver/d/{link.token}/",
            "owner": f"{BASE}/event_types/{world.et.uuid}",
            "owner_type": "EventType",
        }
    }
    schema = world.api.get("/openapi.json").json()
    body = schema["components"]["schemas"]["LinkBody"]
    assert set(body["properties"]) == {"max_event_count", "owner", "owner_type"}


def test_list_get_and_revoke_a_link_with_its_states(world, now):
    made = make(world, name="Casey Customer", email="Casey@Customer.test", reference="ZD-4711", expires="7d")
    assert made.status_code == 201, made.content
    link = SingleUseLink.objects.get()
    assert (link.prefill_name, link.prefill_email, link.reference, link.expires_at) == (
        "Casey Customer",
        "casey@customer.test",
        "ZD-4711",
        now + timedelta(days=7),
    )

    listed = world.api.get("/scheduling_links").json()
    assert [r["booking_url"] for r in listed["collection"]] == [made.json()["booking_url"]]
    row = listed["collection"][0]
    assert row["state"] == "unused" and row["uri"] == f"{BASE}/scheduling_links/{link.uuid}"
    assert row["prefill"] == {"name": "Casey Customer", "email": "casey@customer.test", "reference": "ZD-4711"}
    assert row["expires_at"] == "2026-03-09T08:00:00.000000Z"
    assert row["created_by"] == f"{BASE}/users/{world.admin.user.uuid}"
    assert world.api.get(f"/scheduling_links/{link.uuid}").json()["resource"] == row

    revoked = world.api.post(f"/scheduling_links/{link.uuid}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["resource"]["state"] == "revoked"
    assert revoked.json()["resource"]["revoked_at"] == "2026-03-02T08:00:00.000000Z"
    again = world.api.post(f"/scheduling_links/{link.uuid}/revoke")
    assert again.status_code == 409 and "already revoked" in again.json()["message"]
    with pytest.raises(LinkUsed, match="withdrawn by the host"):
        book(link, now.replace(hour=10) + timedelta(days=1), now)
    assert not Booking.objects.filter(event_type=world.et).exists()
    assert [r["state"] for r in world.api.get("/scheduling_links", {"state": "revoked"}).json()["collection"]] == [
        "revoked"
    ]
    assert world.api.get("/scheduling_links", {"state": "unused"}).json()["collection"] == []


def test_used_link_shows_its_booking_and_cannot_be_revoked(world, now):
    make(world)
    link = SingleUseLink.objects.get()
    invitee = book(link, now.replace(hour=10) + timedelta(days=1), now)
    row = world.api.get(f"/scheduling_links/{link.uuid}").json()["resource"]
    assert row["state"] == "used" and row["uses"] == 1
    assert row["scheduled_events"] == [f"{BASE}/scheduled_events/{invitee.booking.uid}"]
    r = world.api.post(f"/scheduling_links/{link.uuid}/revoke")
    assert r.status_code == 409 and "already been used" in r.json()["message"]


def test_expired_link_is_listed_expired_and_refuses_to_book(world, now):
    make(world, expires="2026-03-02T09:00:00Z")
    link = SingleUseLink.objects.get()
    later = now + timedelta(hours=2)
    assert link.state(later) == "expired"
    with pytest.raises(LinkUsed, match="expired"):
        book(link, now.replace(hour=13) + timedelta(days=1), later)
    link.refresh_from_db()
    assert link.uses == 0  # the refused booking took nothing


@pytest.mark.parametrize(
    ("form", "parameter", "says"),
    [
        ({"expires": "2026-03-01T00:00:00Z"}, "expires", "already be expired"),
        ({"expires": "soon"}, "expires", "neither a duration"),
        ({"expires": "400d"}, "expires", "at most a year"),
        ({"email": "not-an-email"}, "email", "is not an email address"),
        ({"name": "Ada\r\nBcc: x@y.z"}, "name", "one line of text"),
        ({"reference": "x" * 101}, "reference", "at most 100 characters"),
    ],
)
def test_bad_expiry_or_prefill_is_a_clear_400_and_creates_nothing(world, form, parameter, says):
    r = make(world, **form)
    assert r.status_code == 400, r.content
    assert says in r.json()["message"] and r.json()["details"][0]["parameter"] == parameter
    assert SingleUseLink.objects.count() == 0


def test_prefill_is_carried_into_the_booking_answers(world, now):
    make(world, name="Casey Customer", email="casey@customer.test", reference="ZD-4711")
    link = SingleUseLink.objects.get()
    invitee = book(link, now.replace(hour=10) + timedelta(days=1), now, name="Casey C.", email="casey@customer.test")
    assert invitee.booking.link == link
    assert invitee.answers == [
        {"key": "link_reference", "question": "Reference", "answer": "ZD-4711"},
        {"key": "link_sent_to", "question": "Link sent to", "answer": "Casey Customer <casey@customer.test>"},
    ]
    # The host reads them with the booking.
    r = world.api.get(f"/scheduled_events/{invitee.booking.uid}/invitees").json()
    qa = r["collection"][0]["questions_and_answers"]
    assert {"question": "Reference", "answer": "ZD-4711", "position": 0} in qa


def test_a_member_sees_and_revokes_only_links_they_may(world, now):
    make(world)  # the admin's link on the admin's event type
    link = SingleUseLink.objects.get()
    assert world.member_api.get("/scheduling_links", {"event_type": str(world.et.uuid)}).json()["collection"] == []
    assert world.member_api.get(f"/scheduling_links/{link.uuid}").status_code == 404
    assert world.member_api.post(f"/scheduling_links/{link.uuid}/revoke").status_code == 404
    assert world.b_api.get(f"/scheduling_links/{link.uuid}").status_code == 404
    assert world.read.post(f"/scheduling_links/{link.uuid}/revoke").status_code == 403
    # A member may not send links for someone else's personal event type.
    r = world.member_api.post(
        "/scheduling_links", {"max_event_count": 1, "owner": f"{BASE}/event_types/{world.et.uuid}"}
    )
    assert r.status_code == 403
    assert SingleUseLink.objects.count() == 1


def test_team_members_send_links_for_their_team_events(world):
    team = factories.team(world.a, [world.admin, world.member], slug="support")
    team_call = factories.event_type(team=team, slug="support-call", name="Team Support Call", kind="round_robin")
    r = world.member_api.post(
        "/scheduling_links", {"max_event_count": 1, "owner": f"{BASE}/event_types/{team_call.uuid}"}
    )
    assert r.status_code == 201, r.content
    types = world.member_api.get(f"{EXT}/event_types").json()["collection"]
    assert [t["name"] for t in types] == ["Team Support Call"]
    assert types[0]["team"] == team.name and types[0]["kind"] == "round_robin"


def test_deactivated_event_type_says_to_turn_it_on(world):
    world.et.active = False
    world.et.save()
    r = make(world)
    assert r.status_code == 400 and "is off; turn it on before sharing a link" in r.json()["message"]


def test_stars_are_the_dashboards_stars(world):
    other = factories.event_type(world.admin, slug="zeta", name="Zeta")
    client = world.api.client
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.api.secret}"}
    r = client.put(f"/api/v2/event_types/{other.uuid}/star", **auth)
    assert r.status_code == 200 and r.json()["resource"]["starred"] is True
    assert client.put(f"/api/v2/event_types/{other.uuid}/star", **auth).status_code == 200  # idempotent
    assert EventTypeStar.objects.filter(membership=world.admin, event_type=other).count() == 1
    stars = world.api.get("/event_type_stars").json()["collection"]
    assert [s["event_type"] for s in stars] == [f"{BASE}/event_types/{other.uuid}"]
    names = [t["name"] for t in world.api.get(f"{EXT}/event_types").json()["collection"]]
    assert names == ["Zeta", "Intro call"]  # starred first
    assert client.delete(f"/api/v2/event_types/{other.uuid}/star", **auth).json()["resource"]["starred"] is False
    assert not EventTypeStar.objects.exists()
    assert client.put(f"/api/v2/event_types/{world.b_et.uuid}/star", **auth).status_code == 404  # another tenant's
    assert (
        world.read.client.put(
            f"/api/v2/event_types/{other.uuid}/star", HTTP_AUTHORIZATION=f"Bearer {world.read.secret}"
        ).status_code
        == 403
    )


def _pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


@pytest.mark.parametrize("redirect_uri", EXTENSION_REDIRECT_URIS)
def test_extension_signs_in_with_its_public_client_and_pkce(world, redirect_uri):
    """What extension/src/options.js does after launchWebAuthFlow: the code for the verifier, then links."""
    verifier, challenge = _pkce()
    browser = Client()
    browser.force_login(world.member.user)
    params = {
        "client_id": EXTENSION_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "st",
        "scope": "write",
    }
    assert "Slotwise browser extension" in browser.get("/oauth/authorize", params).content.decode()
    r = browser.post("/oauth/authorize", {**params, "decision": "allow"})
    assert r["Location"].startswith(redirect_uri)
    code = parse_qs(urlsplit(r["Location"]).query)["code"][0]
    token = Client().post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "client_id": EXTENSION_CLIENT_ID,
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
        },
    )
    assert token.status_code == 200, token.content
    api = Api(token.json()["access_token"])
    assert api.get("/users/me").json()["resource"]["email"] == "bob@acme.test"
    refreshed = Client().post(
        "/oauth/token",
        {
            "grant_type": "refresh_token",
            "client_id": EXTENSION_CLIENT_ID,
            "refresh_token": token.json()["refresh_token"],
        },
    )
    assert refreshed.status_code == 200


def test_extension_client_refuses_other_redirects(world):
    _, challenge = _pkce()
    browser = Client()
    browser.force_login(world.member.user)
    r = browser.get(
        "/oauth/authorize",
        {
            "client_id": EXTENSION_CLIENT_ID,
            "redirect_uri": "https://evil.example.com/",
            "response_type": "code",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert r.status_code == 400 and "redirect_uri is not registered" in r.json()["error_description"]


def test_invitee_deletion_scrubs_link_prefill_and_the_answer_it_left(world, now):
    make(world, name="Casey Customer", email="casey@customer.test", reference="ZD-4711")
    link = SingleUseLink.objects.get()
    # A colleague books through the link Casey was sent: their booking carries "Link sent to: Casey …".
    other = book(link, now.replace(hour=10) + timedelta(days=1), now, name="Dee Colleague", email="dee@customer.test")
    make(world, name="Someone Else", email="else@customer.test")
    r = world.api.post("/data_compliance/deletion/invitees", {"emails": ["Casey@Customer.test"]})
    assert r.status_code == 202, r.content
    link.refresh_from_db()
    assert (link.prefill_name, link.prefill_email, link.reference) == ("", "", "ZD-4711")
    other.refresh_from_db()
    assert other.answers == [{"key": "link_reference", "question": "Reference", "answer": "ZD-4711"}]
    assert not any(
        "casey" in str(v).lower() for v in SingleUseLink.objects.values_list("prefill_name", "prefill_email")
    )
    assert SingleUseLink.objects.filter(prefill_email="else@customer.test").exists()  # nobody else's
