"""The fixed-window rate limiter that the API (per token) and the public pages (per address) share."""

import os
import threading
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from slotwise.core import ratelimit


def _page(request):
    return HttpResponse("ok")


def test_view_decorator_limits_per_address(db, now):
    view = ratelimit.rate_limit(limit=2, window=60, scope="test-page")(_page)
    rf = RequestFactory()
    codes = [view(rf.get("/p", REMOTE_ADDR="10.0.0.1")).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert view(rf.get("/p", REMOTE_ADDR="10.0.0.2")).status_code == 200
    blocked = view(rf.get("/p", REMOTE_ADDR="10.0.0.1"))
    assert blocked["X-RateLimit-Limit"] == "2" and blocked["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(blocked["Retry-After"]) <= 60
    # X-Forwarded-For is not trusted unless configured: it cannot buy a fresh bucket.
    assert view(rf.get("/p", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")).status_code == 429


def test_windows_roll_over(db):
    t0 = datetime(2026, 3, 2, 8, 0, 59, tzinfo=UTC)
    t1 = datetime(2026, 3, 2, 8, 1, 0, tzinfo=UTC)
    assert ratelimit.hit("roll", limit=1, window=60, now=t0).allowed
    assert not ratelimit.hit("roll", limit=1, window=60, now=t0).allowed
    d = ratelimit.hit("roll", limit=1, window=60, now=t1)
    assert d.allowed and d.reset == int(t1.timestamp()) + 60


@pytest.mark.django_db(transaction=True)
def test_counter_is_atomic_under_concurrent_hits():
    """12 threads x 10 hits on one key: exactly 120 counted, every count handed out once."""
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    counts, errors = [], []

    def worker():
        try:
            for _ in range(10):
                counts.append(ratelimit.hit("race", limit=1000, window=60, now=now).count)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(counts) == list(range(1, 121))


def test_redis_backend_counts_too(db):
    import redis

    url = os.environ.get("SLOTWISE_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"Redis is expected at {url}")
    now = datetime.now(UTC)
    key = f"redis-test-{now.timestamp()}"
    with override_settings(REDIS_URL=url):
        ratelimit._redis = None
        got = [ratelimit.hit(key, limit=2, window=60, now=now).allowed for _ in range(3)]
        ratelimit._redis = None
    assert got == [True, True, False]


def test_the_counter_sql_names_the_counter_model_table():
    from slotwise.core.models import RateLimitCounter

    table = f'"{RateLimitCounter._meta.db_table}"'
    assert ratelimit._COUNT_SQL.count(table) == 2 and table in ratelimit._SWEEP_SQL
