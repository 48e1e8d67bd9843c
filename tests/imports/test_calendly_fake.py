"""The Calendly fake keeps Calendly's documented shapes (calendly-v2.md's required keys, collections with all
five pagination keys, OAuth with PKCE and single-use refresh tokens, signed webhooks): the import tests are only
as good as it is. Reached through slotwise.core.outbound like the real client."""

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from slotwise.core import outbound
from slotwise.core.signing import verify
from tests.imports.calendly_fake import FakeCalendly

REQUIRED = {
    "User": [
        "uri",
        "name",
        "slug",
        "email",
        "scheduling_url",
        "timezone",
        "avatar_url",
        "created_at",
        "updated_at",
        "current_organization",
    ],
    "Organization": ["uri", "plan", "stage", "created_at", "updated_at"],
    "OrganizationMembership": ["uri", "role", "user", "organization", "updated_at", "created_at"],
    "EventType": [
        "uri",
        "name",
        "active",
        "slug",
        "scheduling_url",
        "duration",
        "kind",
        "pooling_type",
        "type",
        "color",
        "created_at",
        "updated_at",
        "internal_note",
        "description_plain",
        "description_html",
        "profile",
        "secret",
        "booking_method",
        "custom_questions",
        "deleted_at",
        "kind_description",
        "admin_managed",
    ],
    "Event": [
        "uri",
        "name",
        "status",
        "start_time",
        "end_time",
        "event_type",
        "location",
        "invitees_counter",
        "created_at",
        "updated_at",
        "event_memberships",
        "event_guests",
        "calendar_event",
    ],
    "Invitee": [
        "uri",
        "email",
        "first_name",
        "last_name",
        "name",
        "status",
        "questions_and_answers",
        "timezone",
        "event",
        "created_at",
        "updated_at",
        "tracking",
        "text_reminder_number",
        "rescheduled",
        "old_invitee",
        "new_invitee",
        "cancel_url",
        "reschedule_url",
        "routing_form_submission",
        "payment",
        "no_show",
        "reconfirmation",
    ],
}
PAGINATION = {"count", "next_page", "previous_page", "next_page_token", "previous_page_token"}


@pytest.fixture
def fake():
    with FakeCalendly() as f:
        yield f


@pytest.fixture
def world(fake):
    org = fake.add_organization(plan="teams", stage="paid")
    ana = fake.add_user(name="Ana Ruiz", email="ana@calendly.test", organization=org, role="owner")
    bo = fake.add_user(name="Bo Lind", email="bo@calendly.test", organization=org)
    intro = fake.add_event_type(name="Intro", owner=ana["uri"])
    support = fake.add_event_type(
        name="Support", owner=ana["uri"], hosts=[ana["uri"], bo["uri"]], pooling_type="round_robin"
    )
    return {
        "org": org,
        "ana": ana,
        "bo": bo,
        "intro": intro,
        "support": support,
        "token": fake.personal_access_token(ana["uri"]),
    }


def get(fake, path, token, **params):
    url = path if path.startswith("http") else fake.api_base + path
    return outbound.request(
        "GET", url, purpose="Calendly", params=params or None, headers={"Authorization": f"Bearer {token}"}
    )


def test_every_resource_has_calendlys_required_keys(fake, world):
    event, invitees = fake.book(
        event_type=world["support"]["uri"],
        start=datetime(2026, 3, 3, 10, tzinfo=UTC),
        invitees=[{"name": "Cy Doe", "email": "cy@example.com"}],
        host=world["bo"]["uri"],
    )
    t = world["token"]
    checks = [
        ("User", get(fake, "/users/me", t).json()["resource"]),
        ("Organization", get(fake, world["org"], t).json()["resource"]),
        (
            "OrganizationMembership",
            get(fake, "/organization_memberships", t, user=world["ana"]["uri"]).json()["collection"][0],
        ),
        ("EventType", get(fake, world["support"]["uri"], t).json()["resource"]),
        ("Event", get(fake, event["uri"], t).json()["resource"]),
        ("Invitee", get(fake, event["uri"] + "/invitees", t).json()["collection"][0]),
    ]
    for name, resource in checks:
        assert [k for k in REQUIRED[name] if k not in resource] == [], name
        assert not any(k.startswith("_") for k in resource), name
    event = checks[4][1]
    assert event["event_memberships"][0]["user"] == world["bo"]["uri"]
    assert event["created_at"].endswith("Z") and "." in event["created_at"]


def test_event_types_of_a_user_include_the_pools_they_are_in(fake, world):
    t = world["token"]
    names = lambda user: [e["name"] for e in get(fake, "/event_types", t, user=user).json()["collection"]]  # noqa: E731
    assert names(world["ana"]["uri"]) == ["Intro", "Support"]
    assert names(world["bo"]["uri"]) == ["Support"]
    shared = get(fake, world["support"]["uri"], t).json()["resource"]
    assert (shared["pooling_type"], shared["kind_description"], shared["profile"]["type"]) == (
        "round_robin",
        "Round Robin",
        "Team",
    )
    fake.remove_event_type(world["intro"]["uri"])
    assert names(world["ana"]["uri"]) == ["Support"]
    assert get(fake, world["intro"]["uri"], t).json()["resource"]["deleted_at"] is not None


def test_collections_page_with_absolute_next_page_urls_that_keep_the_filters(fake, world):
    start = datetime(2026, 3, 3, 9, tzinfo=UTC)
    for i in range(5):
        fake.book(
            event_type=world["intro"]["uri"],
            start=start + timedelta(hours=i),
            invitees=[{"name": f"G{i}", "email": f"g{i}@example.com"}],
        )
    seen, url, params = (
        [],
        "/scheduled_events",
        {"user": world["ana"]["uri"], "count": 2, "min_start_time": "2026-03-03T10:00:00.000000Z"},
    )
    while url:
        page = get(fake, url, world["token"], **params).json()
        assert set(page["pagination"]) == PAGINATION
        seen += [e["start_time"] for e in page["collection"]]
        url, params = page["pagination"]["next_page"], {}
    assert seen == [f"2026-03-03T{h}:00:00.000000Z" for h in (10, 11, 12, 13)]


def test_bad_tokens_and_injected_failures_answer_as_calendly_does(fake, world):
    assert get(fake, "/users/me", "nope").status_code == 401
    fake.fail_next(1, status=429, retry_after=17)
    fake.fail_next(1, status=500)
    r = get(fake, "/users/me", world["token"])
    assert (r.status_code, r.headers["Retry-After"], r.json()["title"]) == (429, "17", "Too Many Requests")
    assert get(fake, "/users/me", world["token"]).status_code == 500
    assert get(fake, "/users/me", world["token"]).status_code == 200
    fake.revoke(world["token"])
    assert get(fake, "/users/me", world["token"]).json() == {
        "title": "Unauthenticated",
        "message": "The access token is invalid",
    }


def test_oauth_with_pkce_and_single_use_refresh_tokens(fake, world):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    fake.authorizing_user = world["bo"]["uri"]
    r = outbound.request(
        "GET",
        fake.auth_base + "/oauth/authorize",
        purpose="Calendly",
        follow_redirects=False,
        params={
            "client_id": fake.client_id,
            "response_type": "code",
            "state": "s1",
            "redirect_uri": "http://127.0.0.1:1/back",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    back = parse_qs(urlparse(r.headers["Location"]).query)
    assert back["state"] == ["s1"]

    def token(**form):
        return outbound.request(
            "POST",
            fake.auth_base + "/oauth/token",
            purpose="Calendly",
            data={"client_id": fake.client_id, "client_secret": fake.client_secret, **form},
        )

    wrong = token(
        grant_type="authorization_code",
        code=back["code"][0],
        redirect_uri="http://127.0.0.1:1/back",
        code_verifier="x" * 50,
    )
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    # A refused exchange spends the code, as an authorization server should.
    again = token(
        grant_type="authorization_code",
        code=back["code"][0],
        redirect_uri="http://127.0.0.1:1/back",
        code_verifier=verifier,
    )
    assert again.status_code == 400
    fake.authorizing_user = world["bo"]["uri"]
    r = outbound.request(
        "GET",
        fake.auth_base + "/oauth/authorize",
        purpose="Calendly",
        follow_redirects=False,
        params={
            "client_id": fake.client_id,
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1:1/back",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    code = parse_qs(urlparse(r.headers["Location"]).query)["code"][0]
    grant = token(
        grant_type="authorization_code", code=code, redirect_uri="http://127.0.0.1:1/back", code_verifier=verifier
    ).json()
    assert grant["owner"] == world["bo"]["uri"] and grant["expires_in"] == 7200
    assert get(fake, "/users/me", grant["access_token"]).json()["resource"]["email"] == "bo@calendly.test"
    fake.advance(hours=2)
    assert get(fake, "/users/me", grant["access_token"]).status_code == 401
    new = token(grant_type="refresh_token", refresh_token=grant["refresh_token"])
    assert new.status_code == 200 and new.json()["refresh_token"] != grant["refresh_token"]
    assert token(grant_type="refresh_token", refresh_token=grant["refresh_token"]).status_code == 400


def test_webhooks_are_signed_like_calendly_and_carry_the_invitee_with_its_event(fake, world):
    from tests.webhooks.receiver import Receiver

    with Receiver() as rx:
        r = outbound.request(
            "POST",
            fake.api_base + "/webhook_subscriptions",
            purpose="Calendly",
            headers={"Authorization": f"Bearer {world['token']}"},
            json={
                "url": rx.url,
                "events": ["invitee.created", "invitee.canceled"],
                "organization": world["org"],
                "user": world["ana"]["uri"],
                "scope": "user",
                "signing_key": "k3y",
            },
        )
        assert r.status_code == 201 and r.json()["resource"]["state"] == "active"
        event, [inv] = fake.book(
            event_type=world["intro"]["uri"],
            start=datetime(2026, 3, 4, 9, tzinfo=UTC),
            invitees=[{"name": "Cy Doe", "email": "cy@example.com"}],
        )
        new_event, new_inv = fake.reschedule(inv["uri"], start=datetime(2026, 3, 5, 9, tzinfo=UTC))
        sent = fake.flush_webhooks()
        assert [d.event for d in sent] == ["invitee.created", "invitee.canceled", "invitee.created"]
        assert all(d.status == 200 for d in sent)
        got = list(rx.requests)
    bodies = [json.loads(g["body"]) for g in got]
    assert all(verify("k3y", g["body"], g["headers"]["Calendly-Webhook-Signature"], now=fake.now) for g in got)
    assert bodies[1]["payload"]["rescheduled"] is True and bodies[1]["payload"]["new_invitee"] == new_inv["uri"]
    assert bodies[2]["payload"]["old_invitee"] == inv["uri"]
    assert bodies[2]["payload"]["scheduled_event"]["uri"] == new_event["uri"]
    assert set(REQUIRED["Event"]) <= set(bodies[0]["payload"]["scheduled_event"])


def test_free_plans_cannot_subscribe_to_webhooks(fake, world):
    fake.set_plan(world["org"], plan="basic", stage="free")
    r = outbound.request(
        "POST",
        fake.api_base + "/webhook_subscriptions",
        purpose="Calendly",
        headers={"Authorization": f"Bearer {world['token']}"},
        json={
            "url": "http://127.0.0.1:9/h",
            "events": ["invitee.created"],
            "organization": world["org"],
            "user": world["ana"]["uri"],
            "scope": "user",
        },
    )
    assert (r.status_code, r.json()["title"]) == (403, "Permission Denied")
    assert get(fake, world["org"], world["token"]).json()["resource"]["stage"] == "free"
