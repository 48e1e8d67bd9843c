"""Password guessing: lockout with backoff per account and per address, on every door that checks a
password or a client secret (/login/, /admin/, /oauth/token)."""

from datetime import timedelta

import pytest
from django.test import Client

from slotwise.accounts import lockout
from slotwise.accounts.models import LoginThrottle, User
from slotwise.api.models import OAuthApplication
from slotwise.api.tokens import digest
from tests import factories

PASSWORD = "correct horse battery"  # tests/factories.host's password


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **kw):
        self.now += timedelta(**kw)


@pytest.fixture
def clock(monkeypatch, now):
    c = Clock(now)
    monkeypatch.setattr(lockout, "utc_now", c)
    monkeypatch.setattr("slotwise.api.oauth.utc_now", c)
    return c


@pytest.fixture
def people(db):
    org = factories.org("acme")
    ana = factories.host(org, "ana", email="ana@acme.test", role="owner")
    ana.user.is_staff = ana.user.is_superuser = True
    ana.user.save()
    return {"org": org, "ana": ana.user}


DOORS = {
    "login": ("/login/", "/dashboard/"),
    "admin": ("/admin/login/", "/admin/"),
}


def _try(door, email, password, addr="203.0.113.7", **extra):
    path, nxt = DOORS[door]
    return Client(REMOTE_ADDR=addr, **extra).post(path, {"username": email, "password": password, "next": nxt})


def _logged_in(response) -> bool:
    return response.status_code == 302 and "login" not in response["Location"]


@pytest.mark.parametrize("door", DOORS)
def test_thirty_wrong_passwords_then_the_right_one_is_refused(door, people, clock):
    for i in range(30):
        assert not _logged_in(_try(door, "ana@acme.test", f"guess-{i}"))
    refused = _try(door, "ana@acme.test", PASSWORD)
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "Too many failed sign-ins for this account. Try again in 1 minute (after 08:01 UTC on 2 March 2026)" in text
    assert refused["Retry-After"] == "60"
    # Only the attempts let through were counted: the person's own try during the lock made it no longer.
    assert LoginThrottle.objects.get(key="account:ana@acme.test").failures == 5


@pytest.mark.parametrize("door", DOORS)
def test_lock_lifts_after_the_cool_off_and_a_success_resets_the_count(door, people, clock):
    for i in range(5):
        _try(door, "ana@acme.test", f"guess-{i}")
    clock.advance(seconds=59)
    assert _try(door, "ana@acme.test", PASSWORD).status_code == 429
    clock.advance(seconds=2)
    assert _logged_in(_try(door, "ana@acme.test", PASSWORD))
    assert not LoginThrottle.objects.filter(key="account:ana@acme.test").exists()
    for i in range(4):  # the count starts again from zero
        _try(door, "ana@acme.test", f"again-{i}")
    assert _logged_in(_try(door, "ana@acme.test", PASSWORD))


def test_each_failure_after_a_lock_doubles_the_next_lock(people, clock):
    for i in range(5):
        _try("login", "ana@acme.test", f"guess-{i}")
    waits = []
    for i in range(4):
        lock = lockout.locked(account="ana@acme.test", address="203.0.113.7", now=clock.now)
        waits.append(lock.until - clock.now)
        clock.now = lock.until
        _try("login", "ana@acme.test", f"after-{i}")
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    page = _try("login", "ana@acme.test", PASSWORD)
    assert "Try again in 16 minutes" in page.content.decode()
    assert lockout.lock_length(40) == timedelta(days=1)  # capped


def test_one_address_guessing_many_accounts_is_stopped_by_the_per_address_rule(people, clock):
    others = [factories.host(people["org"], f"h{i}", email=f"h{i}@acme.test").user for i in range(6)]
    # Four guesses on each of five accounts: no account reaches its limit, the address reaches 20.
    for user in others[:5]:
        for i in range(4):
            _try("login", user.email, f"guess-{i}")
    other = others[5]
    refused = _try("login", other.email, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins for your network address" in refused.content.decode()
    # The account itself is not locked: from another address it signs in.
    assert _logged_in(_try("login", other.email, PASSWORD, addr="198.51.100.20"))


def test_lockout_reads_the_client_address_from_trusted_proxies_only(people, clock, settings):
    # Without SLOTWISE_TRUST_FORWARDED_FOR, a made-up X-Forwarded-For does not buy a fresh address.
    for i in range(20):
        _try("login", f"nobody{i}@acme.test", "x", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert _try("login", "ana@acme.test", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429

    # Behind one trusted proxy, the proxy's entry (the last) is the client; what the client wrote is ignored.
    settings.SLOTWISE_TRUST_FORWARDED_FOR = 1
    for i in range(20):
        _try("login", f"someone{i}@acme.test", "x", addr="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 198.51.100.9")
    behind = _try("login", "ana@acme.test", PASSWORD, addr="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert behind.status_code == 429
    assert _logged_in(_try("login", "ana@acme.test", PASSWORD, addr="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.10"))


def test_unknown_accounts_lock_the_same_way(people, clock):
    """No difference between an account that exists and one that does not: no hint for the guesser."""
    for i in range(5):
        _try("login", "ghost@acme.test", f"guess-{i}")
    assert _try("login", "ghost@acme.test", "anything").status_code == 429
    assert not User.objects.filter(email="ghost@acme.test").exists()


def test_oauth_token_endpoint_locks_a_client_id_after_wrong_secrets(people, clock):
    OAuthApplication.objects.create(
        organization=people["org"],
        name="Zapish",
        client_id="zapish",
        client_secret_hash=digest("s3cret"),
        redirect_uris=["https://z.example/cb"],
    )
    client = Client(REMOTE_ADDR="203.0.113.8")
    codes = [
        client.post(
            "/oauth/token",
            {"grant_type": "refresh_token", "client_id": "zapish", "client_secret": f"guess-{i}", "refresh_token": "x"},
        ).status_code
        for i in range(30)
    ]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    right = client.post(
        "/oauth/token",
        {"grant_type": "refresh_token", "client_id": "zapish", "client_secret": "s3cret", "refresh_token": "x"},
    )
    assert right.status_code == 429
    assert right.json()["error"] == "too_many_attempts"
    assert "Try again in 1 minute" in right.json()["error_description"]
    clock.advance(minutes=1, seconds=1)
    after = client.post(
        "/oauth/token",
        {"grant_type": "refresh_token", "client_id": "zapish", "client_secret": "s3cret", "refresh_token": "x"},
    )
    assert after.status_code == 400 and after.json()["error"] == "invalid_grant"  # checked again, secret right
