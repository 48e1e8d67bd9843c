"""Public pages are rate-limited per client address with the limiter the API uses (`slotwise.core.ratelimit`: one counter
store for every public door), answering an HTML page rather than JSON when a person hits the limit.

SLOTWISE_WEB_RATE_LIMIT requests per minute per address (default 300: a booking page polls its times and
loads a few fragments per visit, so a person stays far below it; a scraper does not)."""

import functools

from django.conf import settings
from django.shortcuts import render

from slotwise.core.clock import utc_now
from slotwise.core.ratelimit import by_address, hit

WINDOW = 60


def public_rate_limit(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        limit = int(getattr(settings, "SLOTWISE_WEB_RATE_LIMIT", 300))
        if limit <= 0:
            return view(request, *args, **kwargs)
        now = utc_now()
        decision = hit(f"web:{by_address(request)}", limit=limit, window=WINDOW, now=now)
        if decision.allowed:
            response = view(request, *args, **kwargs)
        else:
            response = render(
                request,
                "web/error.html",
                {"message": f"Too many requests from your address; try again in {decision.retry_after(now)} seconds."},
                status=429,
            )
            response["Retry-After"] = str(decision.retry_after(now))
        for name, value in decision.headers().items():
            response[name] = value
        return response

    return wrapper
