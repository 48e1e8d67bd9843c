"""Fixed-window rate limits, atomic on SQLite and PostgreSQL (one upsert statement) or on Redis when
REDIS_URL is set (INCR + EXPIRE in one MULTI).

Use it on any view:

    from slotwise.core.ratelimit import rate_limit, by_address

    @rate_limit(limit=60, window=60, key=by_address, scope="booking-page")
    def booking_page(request, ...):
        ...

Every response of a decorated view carries X-RateLimit-Limit / -Remaining / -Reset (unix seconds when
the window ends); the request over the limit gets 429 with Retry-After (seconds) and the view is not
called. For code that is not a view, call `hit(key, limit=, window=, now=)` and look at the Decision.
The API applies it per token (settings.SLOTWISE_API_RATE_LIMIT requests per
settings.SLOTWISE_API_RATE_WINDOW seconds).
"""

import functools
import random
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection

from slotwise.core.clientaddr import client_address
from slotwise.core.clock import utc_now
from slotwise.core.errors import RateLimited
from slotwise.core.middleware import error_response


@dataclass(frozen=True)
class Decision:
    limit: int
    count: int
    reset: int  # unix seconds at which the window ends

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    def retry_after(self, now: datetime) -> int:
        return max(1, self.reset - int(now.timestamp()))

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


def _redis_client():
    from slotwise.core.redis import client

    return client(settings.REDIS_URL)


def _count_redis(key: str, window_start: int, window: int) -> int:
    name = f"slotwise:rl:{key}:{window_start}"
    pipe = _redis_client().pipeline(transaction=True)
    pipe.incr(name)
    pipe.expire(name, window + 5)
    count, _ = pipe.execute()
    return int(count)


# RateLimitCounter's table (core/models.py Meta.db_table; a test holds the two equal). Fixed SQL, values
# as parameters: one round trip that both PostgreSQL and SQLite run atomically.
_COUNT_SQL = (
    'INSERT INTO "api_ratelimitcounter" (key, window_start, count) VALUES (%s, %s, 1) '
    'ON CONFLICT (key, window_start) DO UPDATE SET count = "api_ratelimitcounter".count + 1 RETURNING count'
)
_SWEEP_SQL = 'DELETE FROM "api_ratelimitcounter" WHERE window_start < %s'


def _count_db(key: str, window_start: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SQL, [key, window_start])
        count = cursor.fetchone()[0]
        # Sweep old windows now and then instead of running a cron for it (a sample, not a secret).
        if random.random() < 0.01:  # noqa: S311
            cursor.execute(_SWEEP_SQL, [window_start - 86400])
    return int(count)


def hit(key: str, *, limit: int, window: int, now: datetime, backend: str | None = None) -> Decision:
    """Count one request for `key` in the current window and say whether it is allowed."""
    epoch = int(now.timestamp())
    window_start = epoch - epoch % window
    backend = backend or ("redis" if settings.REDIS_URL else "db")
    count = _count_redis(key, window_start, window) if backend == "redis" else _count_db(key, window_start)
    return Decision(limit=limit, count=count, reset=window_start + window)


def by_address(request) -> str:
    """The client address (see slotwise.core.clientaddr: X-Forwarded-For only from trusted proxies)."""
    return client_address(request)


def rate_limit(*, limit: int, window: int = 60, key=by_address, scope: str = "page"):
    """View decorator; see the module docstring."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            now = utc_now()
            decision = hit(f"{scope}:{key(request)}", limit=limit, window=window, now=now)
            if not decision.allowed:
                response = error_response(
                    RateLimited(
                        f"Too many requests; retry in {decision.retry_after(now)} seconds",
                        retry_after=decision.retry_after(now),
                    )
                )
            else:
                response = view(request, *args, **kwargs)
            for name, value in decision.headers().items():
                response[name] = value
            return response

        return wrapper

    return decorate
