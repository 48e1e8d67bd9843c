"""What can go wrong talking to Calendly, as core.errors subclasses (re-exported by imports.calendly).

The connection layer turns them into connection states: CalendlyAuthError -> AUTH_FAILED,
CalendlyRateLimited and CalendlyUnavailable -> RETRYING (retry_at from jobs.services.backoff, or later if
Calendly asked for longer). Messages are for people and never carry a token."""

from __future__ import annotations

from slotwise.core.errors import SlotwiseError


class CalendlyError(SlotwiseError):
    """Calendly refused or failed a request. `http_status` is Calendly's status code, when there was one."""

    status = 502
    title = "Calendly Error"

    def __init__(self, message: str, *, http_status: int | None = None, field: str | None = None):
        super().__init__(message, field=field)
        self.http_status = http_status


class CalendlyAuthError(CalendlyError):
    """401, or a revoked / expired grant that one refresh did not cure: the user must connect again."""

    status = 400
    title = "Calendly Sign-in Failed"


class CalendlyRateLimited(CalendlyError):
    """429: Calendly asked us to wait `retry_after` seconds."""

    status = 429
    title = "Too Many Requests"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, http_status=429)
        self.retry_after = retry_after


class CalendlyUnavailable(CalendlyError):
    """5xx, a timeout, a refused connection: try again later."""

    status = 503
    title = "Calendly Unavailable"


class CalendlyNotFound(CalendlyError):
    """404: the resource (event type, event, subscription) is not there (any more)."""

    status = 404
    title = "Resource Not Found"


DEFAULT_RETRY_AFTER = 60


def retry_after_of(resp) -> int:
    """Seconds to wait from a 429: Retry-After (seconds), else Calendly's X-RateLimit-Reset (seconds until
    the window resets), else a minute. Never less than 1."""
    for header in ("Retry-After", "X-RateLimit-Reset"):
        value = resp.headers.get(header)
        if value:
            try:
                return max(1, int(float(value)))
            except ValueError:
                continue
    return DEFAULT_RETRY_AFTER
