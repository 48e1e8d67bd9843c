"""Prometheus metrics, served at /metrics.

Counted as they happen (in the process they happen in): request latency per route, availability query time,
bookings created and refused by reason, job, webhook and email failures. Read at scrape time from the
database (so every web and worker box agrees): queue depth and the oldest due job's age, calendar sync lag
per connection. Apps add scrape-time readings with `at_scrape(fn)` in their AppConfig.ready(); core imports
no app.

Several processes: gunicorn's workers (and the job worker `slotwise serve` starts beside them) each count in
their own files under PROMETHEUS_MULTIPROC_DIR, and a scrape adds them up. prometheus_client decides how to
store values when it is first imported, so the variable must be set before that: `slotwise serve` sets it to
<data dir>/prometheus and empties that directory at start (cli/main.py). Without it (tests, `slotwise
worker` on its own), values live in the process's memory.

Access: open in development; in production (SLOTWISE_ENV=production) a scrape needs
`Authorization: Bearer $SLOTWISE_METRICS_TOKEN` or, when no token is set, must come from this machine
(127.0.0.1 or ::1, and not relayed by a proxy)."""

import hmac
import os
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from .clientaddr import client_address

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_SECONDS = Histogram(
    "slotwise_http_request_duration_seconds",
    "Time to answer a request, by URL route (the resolver's view name, not the path) and status class",
    ["route", "method", "status"],
    buckets=_LATENCY_BUCKETS,
)
AVAILABILITY_SECONDS = Histogram(
    "slotwise_availability_query_duration_seconds",
    "Time to compute the times an event type offers (bookings.availability.event_availability)",
    buckets=_LATENCY_BUCKETS,
)
BOOKINGS_CREATED = Counter("slotwise_bookings_created_total", "Bookings made, by where they came from", ["source"])
BOOKINGS_REFUSED = Counter(
    "slotwise_bookings_refused_total",
    "Booking attempts refused, by reason (an engine reason such as busy or notice; taken: lost a race)",
    ["reason"],
)
JOB_FAILURES = Counter("slotwise_job_failures_total", "Job runs that raised (retried or given up), by kind", ["kind"])
WEBHOOK_FAILURES = Counter("slotwise_webhook_delivery_failures_total", "Webhook delivery attempts that failed")
EMAIL_FAILURES = Counter("slotwise_email_failures_total", "Emails the SMTP server did not take")

_readings: list[Callable[[], Iterable[Metric]]] = []


def at_scrape(fn: Callable[[], Iterable[Metric]]) -> None:
    """fn() yields metric families (prometheus_client.core.GaugeMetricFamily ...) read at each scrape."""
    if fn not in _readings:
        _readings.append(fn)


class _ScrapeTime:
    def collect(self) -> Iterable[Metric]:
        for fn in _readings:
            yield from fn()


def route_of(request) -> str:
    """The route a request matched, as the resolver names it (bounded, unlike paths); "unmatched" for a 404."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        REQUEST_SECONDS.labels(route_of(request), request.method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
        return response


def on_booking_created(*, booking, **_) -> None:
    # Counted once the booking has committed: a later step that fails rolls it back, and it was never made.
    source = booking.source
    transaction.on_commit(lambda: BOOKINGS_CREATED.labels(source).inc())


def on_booking_refused(*, reason: str, **_) -> None:
    BOOKINGS_REFUSED.labels(reason).inc()


def _allowed(request) -> bool:
    if not getattr(settings, "PRODUCTION", False):
        return True
    token = getattr(settings, "SLOTWISE_METRICS_TOKEN", "")
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    relayed = "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META
    return client_address(request) in ("127.0.0.1", "::1") and not relayed


def exposition() -> bytes:
    """The text a scrape gets: every process's counters, then the readings taken now."""
    multiproc = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc:
        counted = CollectorRegistry()
        MultiProcessCollector(counted, path=multiproc)
    else:
        counted = REGISTRY
    now = CollectorRegistry()
    now.register(_ScrapeTime())
    return generate_latest(counted) + generate_latest(now)


def metrics_view(request):
    if not _allowed(request):
        if getattr(settings, "SLOTWISE_METRICS_TOKEN", ""):
            body, status = "metrics need Authorization: Bearer <the SLOTWISE_METRICS_TOKEN value>", 401
        else:
            body, status = (
                "metrics are served only to this machine (127.0.0.1, not through a proxy); "
                "set SLOTWISE_METRICS_TOKEN to scrape from elsewhere",
                403,
            )
        return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
