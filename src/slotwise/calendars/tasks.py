"""Job handlers: thin doors that read the clock and call the services."""

from slotwise.core.clock import utc_now
from slotwise.jobs.services import handler

from .models import CalendarConnection
from .services import SYNC_JOB, schedule_sync
from .sync import sync_connection
from .writeback import WRITE_JOB, writeback_reconcile


@handler(SYNC_JOB)
def run_sync(payload, job):
    now = utc_now()
    conn = CalendarConnection.objects.filter(pk=payload["connection_id"]).first()
    if conn is None:
        return  # disconnected meanwhile
    sync_connection(connection=conn, now=now)
    from datetime import timedelta

    schedule_sync(conn, due_at=now + timedelta(minutes=conn.poll_minutes))


@handler(WRITE_JOB)
def run_writeback(payload, job):
    writeback_reconcile(booking_id=payload["booking_id"], moved_from=payload.get("moved_from"), now=utc_now())
