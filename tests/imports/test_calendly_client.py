"""The Calendly client: documented shapes in and out, pagination, tokens, and each failure as its error."""

from datetime import timedelta

import pytest

from slotwise.core.secrets import seal, unseal
from slotwise.imports.calendly import (
    CalendlyAuthError,
    CalendlyClient,
    CalendlyError,
    CalendlyNotFound,
    CalendlyRateLimited,
    CalendlyUnavailable,
    instant,
)
from slotwise.imports.models import Connection


def _connection(agency, calendly, *, secret: dict, method=Connection.Method.TOKEN) -> Connection:
    return Connection.objects.create(
        organization=agency["org"],
        membership=agency["ana"],
        method=method,
        api_base=calendly.base,
        auth_base=calendly.base,
        secret=seal(secret),
        state=Connection.State.ACTIVE,
    )


@pytest.fixture
def ana_uri(calendly):
    return calendly.user("Ana Lopez", "ana@calendly.test", org=calendly.organization_uri, role="admin")


def test_me_and_organization_come_back_in_calendlys_shapes(agency, calendly, ana_uri, now):
    conn = _connection(agency, calendly, secret={"access_token": calendly.token_for(ana_uri)})
    client = CalendlyClient(conn, now=now)
    me = client.me()
    assert me["uri"] == ana_uri and me["email"] == "ana@calendly.test"
    org = client.organization(me["current_organization"])
    assert (org["plan"], org["stage"]) == ("teams", "paid")


def test_lists_follow_next_page_to_the_end(agency, calendly, ana_uri, now):
    calendly.page_size = 2
    made = [calendly.event_type(f"Call {n}", owner=ana_uri) for n in range(5)]
    conn = _connection(agency, calendly, secret={"access_token": calendly.token_for(ana_uri)})
    got = [e["uri"] for e in CalendlyClient(conn, now=now).event_types(user=ana_uri)]
    assert got == made
    assert calendly.calls.count(("GET", "/event_types")) == 3


def test_a_next_page_on_another_host_is_not_followed_with_our_token(agency, calendly, ana_uri, now):
    conn = _connection(agency, calendly, secret={"access_token": calendly.token_for(ana_uri)})
    client = CalendlyClient(conn, now=now)
    with pytest.raises(CalendlyError, match="outside"):
        client._call("GET", "http://127.0.0.2:9/event_types")


def test_a_uri_from_another_host_is_read_on_the_connections_api_base(agency, calendly, ana_uri, now):
    conn = _connection(agency, calendly, secret={"access_token": calendly.token_for(ana_uri)})
    org_uuid = calendly.organization_uri.rsplit("/", 1)[1]
    org = CalendlyClient(conn, now=now).organization(f"https://api.calendly.com/organizations/{org_uuid}")
    assert org["uri"] == calendly.organization_uri


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "42"}, 42),
        ({"X-RateLimit-Reset": "17"}, 17),  # Calendly's own header when there is no Retry-After
        ({}, 60),
    ],
    ids=["retry-after", "rate-limit-reset", "neither"],
)
def test_a_429_says_how_long_calendly_asked_us_to_wait(agency, calendly, ana_uri, now, headers, wait):
    conn = _connection(agency, calendly, secret={"access_token": calendly.token_for(ana_uri)})
    calendly.fail_next(1, 429, headers)
    with pytest.raises(CalendlyRateLimited) as caught:
        CalendlyClient(conn, now=now).me()
    assert caught.value.retry_after == wait


def test_a_5xx_and_an_unreachable_server_are_unavailable(agency, calendly, ana_uri, now):
    conn = _connection(agency, calendly, secret={"access_token": calendly.token_for(ana_uri)})
    calendly.fail_next(1, 503)
    with pytest.raises(CalendlyUnavailable, match="HTTP 503"):
        CalendlyClient(conn, now=now).me()
    conn.api_base = "http://127.0.0.1:9"  # nothing listens on the discard port
    with pytest.raises(CalendlyUnavailable, match="could not reach"):
        CalendlyClient(conn, now=now).me()


def test_a_404_is_not_found(agency, calendly, ana_uri, now):
    conn = _connection(agency, calendly, secret={"access_token": calendly.token_for(ana_uri)})
    with pytest.raises(CalendlyNotFound):
        CalendlyClient(conn, now=now).scheduled_event(f"{calendly.base}/scheduled_events/nope")


def test_a_revoked_personal_access_token_is_an_auth_error_at_once(agency, calendly, ana_uri, now):
    token = calendly.token_for(ana_uri)
    conn = _connection(agency, calendly, secret={"access_token": token})
    calendly.revoke(token)
    with pytest.raises(CalendlyAuthError, match="connect the Calendly account again"):
        CalendlyClient(conn, now=now).me()
    assert calendly.token_calls == []


def _oauth_connection(agency, calendly, user, now, *, expires_in=timedelta(hours=1)):
    access, refresh = calendly.grant(user)
    conn = _connection(
        agency,
        calendly,
        method=Connection.Method.OAUTH,
        secret={
            "access_token": access,
            "refresh_token": refresh,
            "expires_at": (now + expires_in).isoformat(),
        },
    )
    return conn, access, refresh


def test_an_oauth_token_about_to_expire_is_refreshed_and_the_rotated_pair_sealed(agency, calendly, ana_uri, now):
    conn, access, refresh = _oauth_connection(agency, calendly, ana_uri, now, expires_in=timedelta(seconds=30))
    assert CalendlyClient(conn, now=now).me()["uri"] == ana_uri
    stored = unseal(Connection.objects.get(pk=conn.pk).secret)
    assert stored["access_token"] != access and stored["refresh_token"] != refresh
    assert stored["refresh_token"] in calendly.refresh_tokens
    assert refresh not in calendly.refresh_tokens  # rotated: the old one is spent
    assert [c["grant_type"] for c in calendly.token_calls] == ["refresh_token"]


def test_an_oauth_401_is_refreshed_once_and_the_call_repeated(agency, calendly, ana_uri, now):
    conn, access, _ = _oauth_connection(agency, calendly, ana_uri, now)
    calendly.revoke(access)  # Calendly dropped the access token early
    assert CalendlyClient(conn, now=now).me()["uri"] == ana_uri
    assert len(calendly.token_calls) == 1


def test_a_revoked_oauth_grant_is_an_auth_error_after_one_refresh_try(agency, calendly, ana_uri, now):
    conn, _, _ = _oauth_connection(agency, calendly, ana_uri, now)
    calendly.revoke_user(ana_uri)
    with pytest.raises(CalendlyAuthError):
        CalendlyClient(conn, now=now).me()
    assert len(calendly.token_calls) == 1


def test_a_refresh_done_by_another_worker_is_taken_not_repeated(agency, calendly, ana_uri, now):
    conn, _, _ = _oauth_connection(agency, calendly, ana_uri, now, expires_in=timedelta(seconds=30))
    first = CalendlyClient(conn, now=now)
    stale = CalendlyClient(Connection.objects.get(pk=conn.pk), now=now)  # read the old pair before the refresh
    first.me()
    assert stale.me()["uri"] == ana_uri  # its refresh token was spent by `first`: it uses first's tokens
    assert len(calendly.token_calls) == 1


def test_webhook_subscriptions_are_created_and_deleted_and_a_second_delete_is_fine(agency, calendly, ana_uri, now):
    conn = _connection(agency, calendly, secret={"access_token": calendly.token_for(ana_uri)})
    client = CalendlyClient(conn, now=now)
    hook = client.create_webhook(
        url="http://127.0.0.1:8000/hooks/calendly/abc/",
        events=["invitee.created"],
        organization=calendly.organization_uri,
        user=ana_uri,
        scope="user",
        signing_key="k",
    )
    assert calendly.webhooks[0]["user"] == ana_uri and calendly.webhooks[0]["signing_key"] == "k"
    client.delete_webhook(hook["uri"])
    client.delete_webhook(hook["uri"])
    assert calendly.webhooks == []


def test_times_are_sent_as_calendly_writes_them(now):
    assert instant(now) == "2026-03-02T08:00:00.000000Z"
