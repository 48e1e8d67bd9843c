"""The limits hold when two connects race (PostgreSQL: the advisory lock on the Calendly account)."""

import threading
import time

import pytest
from django.db import connection

from slotwise.core.errors import Conflict
from slotwise.imports import services
from slotwise.imports.models import Connection
from tests import factories
from tests.bookings.test_concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("polls")]


def _advisory_waiters() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cur.fetchone()[0]


@pytest.mark.postgres
def test_two_users_connecting_one_calendly_account_at_once_one_of_them_wins(calendly, monkeypatch, now):
    ana = factories.host(factories.org("north"), "ana", email="ana@north.test")
    carl = factories.host(factories.org("south"), "carl", email="carl@south.test")
    shared = calendly.user("Front desk", "desk@calendly.test", org=calendly.organization_uri)
    real, first, other_done, pick = services._check_limits, [], threading.Event(), threading.Lock()

    def held_open(**kw):
        """The first connect to pass the check keeps its transaction open until the other one is
        waiting on the lock (or, without a lock, has finished: then both would have connected)."""
        result = real(**kw)
        with pick:
            is_first = not first
            first.append(kw["membership"].pk)
        if is_first:
            deadline = time.monotonic() + 30
            while not other_done.is_set() and not _advisory_waiters() and time.monotonic() < deadline:
                time.sleep(0.02)
        return result

    monkeypatch.setattr(services, "_check_limits", held_open)

    def connect(member):
        def go():
            try:
                return services.connection_add_token(
                    membership=member, token=calendly.token_for(shared), api_base=calendly.base, now=now
                )
            finally:
                if first and first[0] != member.pk:
                    other_done.set()

        return go

    oks, errors = race([connect(ana), connect(carl)])
    assert len(oks) == 1 and [type(e) for e in errors] == [Conflict]
    assert "already connected by another user" in errors[0].message
    assert Connection.objects.filter(account_user_uri=shared).count() == 1
