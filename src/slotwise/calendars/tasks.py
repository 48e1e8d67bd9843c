"""Job handlers: thin doors that read the clock and call the services."""

import logging
from datetime import timedelta

from django.conf import settings

from slotwise.core.clock import utc_now
from slotwise.jobs.services import Defer, backoff, handler

from .adapters.base import AdapterError
from .adapters.microsoft import RetryLater
from .models import CalendarConnection
from .services import SYNC_JOB, google_watch, schedule_sync
from .sync import sync_connection
from .writeback import COPY_REWRITE_JOB, WRITE_JOB, rewrite_copy, writeback_reconcile

log = logging.getLogger(__name__)
CHANNEL_RENEW_BEFORE = timedelta(days=1)


@handler(SYNC_JOB)
def run_sync(payload, job):
    now = utc_now()
    conn = CalendarConnection.objects.filter(pk=payload["connection_id"]).first()
    if conn is None:
        return  # disconnected meanwhile
    due = now + timedelta(minutes=conn.poll_minutes)
    try:
        result = sync_connection(connection=conn, now=now)
        if result.retry_after is not None:
            # Throttled (429/503): come back when the provider says, later still if it keeps saying so.
            # Nothing is lost meanwhile: the delta token is kept until a round has been read to its end.
            due = now + max(timedelta(seconds=result.retry_after), backoff(conn.failures))
        _renew_push_channel(conn, now)
    finally:
        # Polling is the fallback even where push exists: a lost notification costs one poll interval.
        schedule_sync(conn, due_at=due)


def _renew_push_channel(conn: CalendarConnection, now) -> None:
    # Google only pushes to https addresses; a local install polls.
    if conn.kind != CalendarConnection.Kind.GOOGLE or not settings.BASE_URL.startswith("https://"):
        return
    if conn.channel_expires_at and conn.channel_expires_at - now > CHANNEL_RENEW_BEFORE:
        return
    try:
        google_watch(connection=conn, address=f"{settings.BASE_URL}/calendars/google/push/", now=now)
    except AdapterError as exc:
        log.warning("could not open a Google push channel for connection %s: %s", conn.pk, exc)


@handler(WRITE_JOB)
def run_writeback(payload, job):
    try:
        writeback_reconcile(booking_id=payload["booking_id"], moved_from=payload.get("moved_from"), now=utc_now())
    except RetryLater as exc:
        # Throttled: due again after Retry-After (at least the usual backoff), without spending an attempt.
        raise Defer(max(timedelta(seconds=exc.retry_after), backoff(job.attempts)), str(exc)) from None


@handler(COPY_REWRITE_JOB)
def run_rewrite_copy(payload, job):
    try:
        rewrite_copy(calendar_event_id=payload["calendar_event_id"], now=utc_now())
    except RetryLater as exc:
        raise Defer(max(timedelta(seconds=exc.retry_after), backoff(job.attempts)), str(exc)) from None
