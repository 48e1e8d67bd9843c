import json
from datetime import timedelta

import pytest
from django.test import Client

from slotwise.api.tokens import token_create
from slotwise.bookings.services import InviteeInput, booking_create
from tests import factories

BASE = "http://testserver/api/v2"


class Api:
    """A test client speaking to /api/v2 with one token."""

    def __init__(self, secret: str | None):
        self.client = Client()
        self.secret = secret

    def _headers(self, extra):
        h = {}
        if self.secret:
            h["HTTP_AUTHORIZATION"] = f"Bearer {self.secret}"
        for k, v in (extra or {}).items():
            h["HTTP_" + k.upper().replace("-", "_")] = v
        return h

    def _url(self, path):
        return (
            path
            if path.startswith("/") and not path.startswith("/api/") and False
            else (path if path.startswith("http") or path.startswith("/api/") else f"/api/v2{path}")
        )

    def get(self, path, params=None, headers=None):
        return self.client.get(self._url(path), params or {}, **self._headers(headers))

    def post(self, path, body=None, headers=None):
        return self.client.post(
            self._url(path), json.dumps(body or {}), content_type="application/json", **self._headers(headers)
        )

    def patch(self, path, body=None, headers=None):
        return self.client.patch(
            self._url(path), json.dumps(body or {}), content_type="application/json", **self._headers(headers)
        )

    def put(self, path, body=None, headers=None):
        return self.client.put(
            self._url(path), json.dumps(body or {}), content_type="application/json", **self._headers(headers)
        )

    def delete(self, path, headers=None):
        return self.client.delete(self._url(path), **self._headers(headers))


def book(event_type, start, email="ada@example.com", name="Ada Lovelace", now=None, tz="Europe/London"):
    return booking_create(
        event_type=event_type,
        start=start,
        now=now or (start - timedelta(days=1)),
        invitee=InviteeInput(name=name, email=email, timezone=tz),
    )


@pytest.fixture
def world(db, now):
    """Two organizations. A: an admin (write + read tokens), a member; B: an admin with data of its own."""
    a = factories.org("acme")
    admin = factories.host(a, "alice", role="owner", tz="Europe/Berlin", email="alice@acme.test")
    member = factories.host(a, "bob", email="bob@acme.test")
    et = factories.event_type(admin, slug="intro", name="Intro call", duration_minutes=30)
    b = factories.org("globex")
    b_admin = factories.host(b, "hank", role="owner", email="hank@globex.test")
    b_et = factories.event_type(b_admin, slug="sales", name="Sales call")
    b_booking = book(b_et, now.replace(hour=10) + timedelta(days=1), email="carol@globex-client.test", now=now)
    _, write = token_create(membership=admin, scope="write", now=now)
    _, read = token_create(membership=admin, scope="read", now=now)
    _, member_write = token_create(membership=member, scope="write", now=now)
    _, b_write = token_create(membership=b_admin, scope="write", now=now)
    return type(
        "World",
        (),
        dict(
            a=a,
            admin=admin,
            member=member,
            et=et,
            b=b,
            b_admin=b_admin,
            b_et=b_et,
            b_booking=b_booking,
            api=Api(write),
            read=Api(read),
            member_api=Api(member_write),
            b_api=Api(b_write),
            anon=Api(None),
        ),
    )


@pytest.fixture(autouse=True)
def frozen_api_clock(monkeypatch, now, settings):
    """The API reads the clock in one place (its auth door); pin it to the test's `now`. Rate-limit counters
    stay in the test database (rolled back per test), even when the environment configures Redis."""
    import slotwise.api.base

    settings.REDIS_URL = ""

    monkeypatch.setattr(slotwise.api.base, "utc_now", lambda: now)
