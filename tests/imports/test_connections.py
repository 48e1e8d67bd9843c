"""Connecting a Calendly account, its calendars, the limits, plans, failures, webhooks and removal."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from slotwise.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from slotwise.core.secrets import unseal
from slotwise.imports import selectors, services
from slotwise.imports.calendly import CalendlyAuthError, CalendlyRateLimited, CalendlyUnavailable
from slotwise.imports.models import Calendar, Connection, SyncLogEntry
from tests import factories

from .conftest import fake_sync

pytestmark = pytest.mark.usefixtures("polls")


@pytest.fixture
def people(calendly):
    """Ana (an admin of her Calendly organization) and Ben, with a personal calendar each and a shared
    round robin they are both in (owned by Ana)."""
    org = calendly.organization_uri
    ana = calendly.user("Ana Lopez", "ana@calendly.test", org=org, role="admin")
    ben = calendly.user("Ben Kim", "ben@calendly.test", org=org)
    calendly.event_type("Intro call", owner=ana)
    calendly.event_type("Ben's hour", owner=ben)
    calendly.event_type("Support", owner=ana, members=[ben], pooling_type="round_robin", team="Support team")
    return {"ana": ana, "ben": ben}


def _connect(agency, calendly, who, now, member="ana"):
    return services.connection_add_token(
        membership=agency[member], token=calendly.token_for(who), api_base=calendly.base, now=now
    )


def test_a_personal_access_token_connects_and_lists_personal_and_shared_calendars(agency, calendly, people, now):
    conn = _connect(agency, calendly, people["ana"], now)
    assert conn.state == Connection.State.ACTIVE
    assert (conn.account_email, conn.plan, conn.stage) == ("ana@calendly.test", "teams", "paid")
    assert [(c.name, c.kind, c.selected) for c in selectors.calendars(conn)] == [
        ("Intro call", "personal", False),
        ("Support", "shared", False),
    ]


def test_a_pool_members_shared_calendar_is_listed_for_them_too(agency, calendly, people, now):
    conn = _connect(agency, calendly, people["ben"], now, member="ben")
    assert [(c.name, c.kind, c.pooling_type) for c in selectors.calendars(conn)] == [
        ("Ben's hour", "personal", ""),
        ("Support", "shared", "round_robin"),
    ]


def test_the_token_is_stored_sealed(agency, calendly, people, now):
    token = calendly.token_for(people["ana"])
    conn = services.connection_add_token(membership=agency["ana"], token=token, api_base=calendly.base, now=now)
    raw = Connection.objects.filter(pk=conn.pk).values_list("secret", flat=True).get()
    assert token not in raw and unseal(raw) == {"access_token": token}


def test_a_token_calendly_refuses_is_a_clear_error_and_leaves_nothing(agency, calendly, people, now):
    with pytest.raises(CalendlyAuthError, match="did not accept") as caught:
        services.connection_add_token(membership=agency["ana"], token="pat_wrong", api_base=calendly.base, now=now)
    assert caught.value.field == "token" and caught.value.status == 400
    assert not Connection.objects.exists()


def test_an_empty_token_and_an_api_base_into_a_private_network_are_refused(agency, now):
    with pytest.raises(InvalidInput, match="Paste a Calendly personal access token"):
        services.connection_add_token(membership=agency["ana"], token=" ", now=now)
    with pytest.raises(InvalidInput, match="private address") as caught:
        services.connection_add_token(membership=agency["ana"], token="pat", api_base="http://10.0.0.8/", now=now)
    assert caught.value.field == "api_base"


def test_a_free_plan_is_refused_with_an_explanation(agency, calendly, people, now):
    calendly.set_plan(calendly.organization_uri, plan="basic", stage="free")
    with pytest.raises(PermissionDenied, match="free plan.*Standard, Teams or Enterprise.*a trial works"):
        _connect(agency, calendly, people["ana"], now)
    assert not Connection.objects.exists()


def test_a_trial_connects(agency, calendly, people, now):
    calendly.set_plan(calendly.organization_uri, plan="teams", stage="trial")
    assert _connect(agency, calendly, people["ana"], now).state == Connection.State.ACTIVE


def test_one_calendly_account_per_user_per_sub_account(agency, calendly, people, now):
    first = _connect(agency, calendly, people["ana"], now)
    other = calendly.user("Ana at home", "ana@home.test", org=calendly.org())
    with pytest.raises(Conflict, match="already connected the Calendly account ana@calendly.test"):
        _connect(agency, calendly, other, now)
    again = _connect(agency, calendly, people["ana"], now + timedelta(hours=1))  # a new token: a reconnect
    assert again.pk == first.pk and Connection.objects.count() == 1


def test_a_different_user_cannot_connect_the_same_calendly_account_in_another_sub_account(
    agency, calendly, people, now
):
    _connect(agency, calendly, people["ana"], now)
    elsewhere = factories.org("contoso")
    carl = factories.host(elsewhere, "carl", email="carl@contoso.test")
    with pytest.raises(Conflict, match="already connected by another user"):
        services.connection_add_token(
            membership=carl, token=calendly.token_for(people["ana"]), api_base=calendly.base, now=now
        )
    with pytest.raises(Conflict, match="already connected by another user"):  # nor in the same one
        _connect(agency, calendly, people["ana"], now, member="ben")


def test_the_same_user_may_connect_their_calendly_account_in_several_sub_accounts(agency, calendly, people, now):
    _connect(agency, calendly, people["ana"], now)
    elsewhere = factories.org("contoso")
    from slotwise.accounts.models import Membership

    ana_there = Membership.objects.create(organization=elsewhere, user=agency["ana"].user, slug="ana")
    conn = services.connection_add_token(
        membership=ana_there, token=calendly.token_for(people["ana"]), api_base=calendly.base, now=now
    )
    assert conn.organization == elsewhere and Connection.objects.count() == 2


# ---- OAuth -------------------------------------------------------------------------------------------


def _oauth(agency, calendly, who, now, member="ana"):
    conn, url = services.connection_oauth_start(
        membership=agency[member],
        api_base=calendly.base,
        auth_base=calendly.base,
        redirect_uri="http://127.0.0.1:8000/dashboard/connections/calendly/callback/",
        now=now,
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    return conn, url, query, calendly.authorize(query, who)


def test_oauth_with_pkce_connects_and_seals_the_rotating_tokens(agency, calendly, people, now):
    pending, url, query, code = _oauth(agency, calendly, people["ana"], now)
    assert url.startswith(f"{calendly.base}/oauth/authorize?")
    assert query["code_challenge_method"] == "S256" and query["client_id"] == calendly.client_id
    assert pending.state == Connection.State.PENDING
    conn = services.connection_oauth_finish(state=query["state"], code=code, now=now)
    assert conn.pk == pending.pk and conn.state == Connection.State.ACTIVE and conn.method == "oauth"
    tokens = unseal(conn.secret)
    assert set(tokens) == {"access_token", "refresh_token", "expires_at"}
    assert tokens["refresh_token"] in calendly.refresh_tokens
    assert [c.name for c in selectors.calendars(conn)] == ["Intro call", "Support"]


def test_an_oauth_state_works_once_and_not_after_half_an_hour(agency, calendly, people, now):
    _, _, query, code = _oauth(agency, calendly, people["ana"], now)
    services.connection_oauth_finish(state=query["state"], code=code, now=now)
    with pytest.raises(InvalidInput, match="no longer valid"):
        services.connection_oauth_finish(state=query["state"], code=code, now=now)
    _, _, query, code = _oauth(agency, calendly, people["ben"], now, member="ben")
    with pytest.raises(InvalidInput, match="no longer valid"):
        services.connection_oauth_finish(state=query["state"], code=code, now=now + timedelta(minutes=31))
    with pytest.raises(InvalidInput, match="no longer valid"):
        services.connection_oauth_finish(state=query["state"] + "x", code=code, now=now)


def test_oauth_on_a_free_plan_is_refused_and_leaves_no_connection(agency, calendly, people, now):
    calendly.set_plan(calendly.organization_uri, plan="basic", stage="free")
    _, _, query, code = _oauth(agency, calendly, people["ana"], now)
    with pytest.raises(PermissionDenied, match="free plan"):
        services.connection_oauth_finish(state=query["state"], code=code, now=now)
    assert not Connection.objects.exists()
    assert calendly.refresh_tokens == {}  # the grant we got was revoked


def test_oauth_without_a_configured_app_says_to_use_a_token(agency, settings, now):
    settings.SLOTWISE_CALENDLY_CLIENT_ID = ""
    with pytest.raises(InvalidInput, match="personal access token instead"):
        services.connection_oauth_start(membership=agency["ana"], redirect_uri="http://x/", now=now)


# ---- calendars ---------------------------------------------------------------------------------------


def test_choosing_calendars_needs_consent_and_sets_imported_from(agency, calendly, people, now, polls):
    conn = _connect(agency, calendly, people["ana"], now)
    intro, support = selectors.calendars(conn)
    with pytest.raises(InvalidInput, match="Tick the consent box") as caught:
        services.calendars_select(connection=conn, uris=[intro.uri], consent=False, now=now)
    assert caught.value.field == "consent" and not Calendar.objects.filter(selected=True).exists()
    later = now + timedelta(minutes=5)
    services.calendars_select(connection=conn, uris=[intro.uri], consent=True, now=later)
    intro.refresh_from_db()
    assert (intro.selected, intro.imported_from, intro.consented_at) == (True, later, later)
    assert polls == [conn.pk]  # the first sync, at once
    services.calendars_select(connection=conn, uris=[intro.uri, support.uri], consent=True, now=later + timedelta(1))
    intro.refresh_from_db()
    assert intro.imported_from == later  # still selected: its instant stays


def test_a_calendar_is_named_by_uri_uuid_or_slug(agency, calendly, people, now):
    conn = _connect(agency, calendly, people["ana"], now)
    intro = selectors.calendars(conn)[0]
    uuid = intro.uri.rsplit("/", 1)[1]
    for ident in (intro.uri, uuid, "intro-call"):
        assert services._calendar(conn, ident).pk == intro.pk
    with pytest.raises(NotFound, match="not one of this connection's Calendly calendars"):
        services._calendar(conn, "nope")


def test_reselecting_imports_from_the_new_instant_and_clears_the_old_delete_choice(
    agency, calendly, people, now, monkeypatch
):
    deleted = _record_deletions(monkeypatch)
    conn = _connect(agency, calendly, people["ana"], now)
    intro = selectors.calendars(conn)[0]
    services.calendars_select(connection=conn, uris=[intro.uri], consent=True, now=now)
    services.calendar_deselect(connection=conn, uri=intro.uri, delete_synced=True, now=now + timedelta(hours=1))
    intro.refresh_from_db()
    assert (intro.selected, intro.delete_chosen_at) == (False, now + timedelta(hours=1))
    assert deleted == [intro.pk]
    back = now + timedelta(hours=2)
    services.calendars_select(connection=conn, uris=[intro.uri], consent=True, now=back)
    intro.refresh_from_db()
    assert (intro.selected, intro.imported_from, intro.delete_chosen_at, intro.deselected_at) == (
        True,
        back,
        None,
        None,
    )


def test_deselecting_and_keeping_deletes_nothing(agency, calendly, people, now, monkeypatch):
    deleted = _record_deletions(monkeypatch)
    conn = _connect(agency, calendly, people["ana"], now)
    intro = selectors.calendars(conn)[0]
    services.calendars_select(connection=conn, uris=[intro.uri], consent=True, now=now)
    assert services.calendar_deselect(connection=conn, uri=intro.uri, delete_synced=False, now=now) == 0
    assert deleted == [] and Calendar.objects.get(pk=intro.pk).deselected_at == now


def test_a_calendar_calendly_no_longer_lists_is_marked_gone_and_cannot_be_chosen(agency, calendly, people, now):
    conn = _connect(agency, calendly, people["ana"], now)
    support = selectors.calendars(conn)[1]
    calendly.remove_event_type(support.uri)
    services.calendars_refresh(connection=conn, now=now)
    support.refresh_from_db()
    assert support.gone_at == now
    assert SyncLogEntry.objects.filter(detail__contains="Support is no longer listed").exists()
    with pytest.raises(InvalidInput, match="no longer listed"):
        services.calendars_select(connection=conn, uris=[support.uri], consent=True, now=now)


# ---- webhooks ----------------------------------------------------------------------------------------


def test_selecting_subscribes_to_webhooks_with_a_sealed_signing_key(agency, calendly, people, now, settings):
    settings.BASE_URL = "https://slotwise.example"
    conn = _connect(agency, calendly, people["ana"], now)
    services.calendars_select(connection=conn, uris=[selectors.calendars(conn)[0].uri], consent=True, now=now)
    conn.refresh_from_db()
    [hook] = calendly.webhooks
    assert hook["callback_url"] == f"https://slotwise.example/hooks/calendly/{conn.hook_token}/"
    assert hook["events"] == ["invitee.created", "invitee.canceled"]
    assert hook["scope"] == "organization"  # Ana is an admin of her Calendly organization
    assert conn.webhooks_active and conn.webhook_subscription_uri == hook["uri"]
    assert services.signing_key(conn) == hook["signing_key"] and hook["signing_key"] not in conn.webhook_signing_key


def test_a_member_subscribes_with_user_scope(agency, calendly, people, now):
    conn = _connect(agency, calendly, people["ben"], now, member="ben")
    services.calendars_select(connection=conn, uris=[selectors.calendars(conn)[0].uri], consent=True, now=now)
    assert [(w["scope"], w["user"]) for w in calendly.webhooks] == [("user", people["ben"])]


def test_a_plan_without_webhooks_falls_back_to_polling_and_says_so(agency, calendly, people, now):
    calendly.webhooks_refused = (403, "Please upgrade your Calendly account to Standard")
    conn = _connect(agency, calendly, people["ana"], now)
    services.calendars_select(connection=conn, uris=[selectors.calendars(conn)[0].uri], consent=True, now=now)
    conn.refresh_from_db()
    assert not conn.webhooks_active
    assert (
        SyncLogEntry.objects.filter(detail__contains="webhooks are not available")
        .filter(detail__contains="polling")
        .exists()
    )


def test_an_old_subscription_at_our_url_is_replaced(agency, calendly, people, now):
    conn = _connect(agency, calendly, people["ana"], now)
    calendly.webhooks.append(
        {
            "uri": f"{calendly.base}/webhook_subscriptions/old",
            "callback_url": services.hook_url(conn),
            "organization": calendly.organization_uri,
            "scope": "organization",
            "user": None,
            "events": ["invitee.created"],
            "signing_key": "lost",
        }
    )
    assert services.webhooks_subscribe(connection=conn, now=now)
    assert [w["signing_key"] for w in calendly.webhooks] == [services.signing_key(conn)]


# ---- plan and failures -------------------------------------------------------------------------------


def test_a_trial_ending_on_the_free_plan_stops_the_sync_until_the_plan_changes(agency, calendly, people, now):
    calendly.set_plan(calendly.organization_uri, plan="teams", stage="trial")
    conn = _connect(agency, calendly, people["ana"], now)
    calendly.set_plan(calendly.organization_uri, plan="basic", stage="free")
    assert services.check_plan(connection=conn, now=now) is False
    conn.refresh_from_db()
    assert (conn.state, conn.state_detail) == ("stopped_free_plan", "stopped: the Calendly plan is free")
    calendly.set_plan(calendly.organization_uri, plan="standard", stage="paid")
    assert services.check_plan(connection=conn, now=now) is True
    conn.refresh_from_db()
    assert (conn.state, conn.plan, conn.stage) == ("active", "standard", "paid")


def test_a_revoked_token_puts_the_connection_in_auth_failed(agency, calendly, people, now):
    conn = _connect(agency, calendly, people["ana"], now)
    calendly.revoke_user(people["ana"])
    assert services.check_plan(connection=conn, now=now) is False
    conn.refresh_from_db()
    assert conn.state == "auth_failed" and "connect the Calendly account again" in conn.state_detail


def test_a_429_retries_no_sooner_than_calendly_asked(agency, calendly, people, now):
    conn = _connect(agency, calendly, people["ana"], now)
    services.connection_failed(connection=conn, error=CalendlyRateLimited("slow down", retry_after=600), now=now)
    conn.refresh_from_db()
    assert (conn.state, conn.failures, conn.retry_at) == ("retrying", 1, now + timedelta(seconds=600))


def test_5xx_failures_back_off_and_a_success_ends_retrying(agency, calendly, people, now):
    conn = _connect(agency, calendly, people["ana"], now)
    for _ in range(3):
        services.connection_failed(connection=conn, error=CalendlyUnavailable("Calendly answered HTTP 502"), now=now)
    conn.refresh_from_db()
    assert (conn.state, conn.failures, conn.retry_at) == ("retrying", 3, now + timedelta(minutes=2))
    assert "Calendly answered HTTP 502 (attempt 3" in conn.state_detail
    assert services.check_plan(connection=conn, now=now) is True
    conn.refresh_from_db()
    assert (conn.state, conn.failures, conn.retry_at) == ("active", 0, None)


def test_a_failure_recorded_after_removal_does_not_bring_the_connection_back(agency, calendly, people, now):
    conn = _connect(agency, calendly, people["ana"], now)
    stale = Connection.objects.get(pk=conn.pk)
    services.connection_remove(connection=conn, delete_synced=False, now=now)
    services.connection_failed(connection=stale, error=CalendlyUnavailable("down"), now=now)
    assert Connection.objects.get(pk=conn.pk).state == "removed"


# ---- removal -----------------------------------------------------------------------------------------


def _record_deletions(monkeypatch) -> list[int]:
    """Which calendars the connection layer asked imports.sync.delete_synced to delete."""
    calls = []
    fake_sync(monkeypatch, delete_synced=lambda *, calendar, now: calls.append(calendar.pk) or 0)
    return calls


def test_removing_unsubscribes_deselects_and_keeps_the_record(agency, calendly, people, now, monkeypatch):
    deleted = _record_deletions(monkeypatch)
    conn = _connect(agency, calendly, people["ana"], now)
    cals = selectors.calendars(conn)
    services.calendars_select(connection=conn, uris=[c.uri for c in cals], consent=True, now=now)
    conn.refresh_from_db()
    later = now + timedelta(days=1)
    services.connection_remove(connection=conn, delete_synced=True, now=later)
    conn.refresh_from_db()
    assert (conn.state, conn.removed_at, conn.secret, conn.webhooks_active) == ("removed", later, "", False)
    assert calendly.webhooks == []
    assert sorted(deleted) == sorted(c.pk for c in cals)
    assert all(
        not c.selected and c.delete_chosen_at == later and c.imported_from == now
        for c in Calendar.objects.filter(connection=conn)
    )
    again = _connect(agency, calendly, people["ana"], later)  # connecting again makes a new connection
    assert again.pk != conn.pk and not Calendar.objects.filter(connection=again, selected=True).exists()


def test_removing_when_calendly_cannot_be_reached_still_removes(agency, calendly, people, now):
    conn = _connect(agency, calendly, people["ana"], now)
    services.calendars_select(connection=conn, uris=[selectors.calendars(conn)[0].uri], consent=True, now=now)
    conn.refresh_from_db()
    calendly.fail_next(5, 500)
    services.connection_remove(connection=conn, delete_synced=False, now=now)
    assert Connection.objects.get(pk=conn.pk).state == "removed"
    assert SyncLogEntry.objects.filter(connection=conn, action="error", detail__contains="unsubscribe").exists()


def test_a_member_sees_only_their_connections_and_an_admin_sees_all(agency, calendly, people, now):
    ana = _connect(agency, calendly, people["ana"], now)
    ben = _connect(agency, calendly, people["ben"], now, member="ben")
    assert list(selectors.connections(agency["ben"])) == [ben]
    assert list(selectors.connections(agency["ana"])) == [ana, ben]
    with pytest.raises(NotFound):
        selectors.connection_for(membership=agency["ben"], ident=ana.uuid)
