"""`slotwise manage calendars_sync [--connection ID ...]`: sync connected calendars now and say how it went."""

from slotwise.calendars.models import CalendarConnection
from slotwise.calendars.sync import sync_connection
from slotwise.core.clock import utc_now
from slotwise.core.verbs import Verb


class Command(Verb):
    help = "Sync connected calendars now (all, or the given connection ids) and print each result."

    def add_arguments(self, parser):
        parser.add_argument("--connection", type=int, action="append", default=[], help="a connection id (repeatable)")

    def handle(self, *args, connection, **options):
        now = utc_now()
        qs = CalendarConnection.objects.order_by("pk")
        if connection:
            qs = qs.filter(pk__in=connection)
        failed = 0
        for conn in qs:
            r = sync_connection(connection=conn, now=now)
            failed += not r.ok
            state = "ok" if r.ok else "FAILED"
            self.stdout.write(
                f"{conn.pk:>5} {conn.kind:<6} {state:<6} changed {r.changed} deleted {r.deleted} "
                f"busy {r.busy_written}" + (f"  {r.errors[0]}" if r.errors else "")
            )
        if failed:
            self.stderr.write(f"{failed} connection(s) failed; see last_error on /dashboard/calendars/")
