"""Triggers that raise scheduling.HostBusyVersion when a host's booked time changes: any insert, update or
delete of a BookingHost row (booking, cancel, reschedule, approval, hold expiry, import, erasure), and a
change of a booking's start, end or event type (the meetings that limits count)."""

from django.db import migrations

from slotwise.scheduling import busy_version_sql as sql

TABLE = "bookings_bookinghost"
_HOSTS_OF_BOOKING = "SELECT membership_id AS m FROM bookings_bookinghost WHERE booking_id = NEW.id"
_TIMES_CHANGED = 'OLD.start IS DISTINCT FROM NEW.start OR OLD."end" IS DISTINCT FROM NEW."end" OR OLD.event_type_id IS DISTINCT FROM NEW.event_type_id'

FORWARD = {
    "postgresql": [
        *sql.pg_table_triggers(TABLE),
        f"""CREATE OR REPLACE FUNCTION slotwise_busy_version_booking_times() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM slotwise_bump_busy_versions(ARRAY({_HOSTS_OF_BOOKING}));
                RETURN NULL;
            END
        $$""",
        f"""CREATE TRIGGER bookings_booking_busy_version_times AFTER UPDATE ON bookings_booking
            FOR EACH ROW WHEN ({_TIMES_CHANGED}) EXECUTE FUNCTION slotwise_busy_version_booking_times()""",
    ],
    "sqlite": [
        *sql.sqlite_table_triggers(TABLE),
        f"""CREATE TRIGGER bookings_booking_busy_version_times AFTER UPDATE ON bookings_booking
            WHEN {_TIMES_CHANGED.replace("IS DISTINCT FROM", "IS NOT")}
            BEGIN {sql.sqlite_bump(_HOSTS_OF_BOOKING)} END""",
    ],
}
BACKWARD = {
    "postgresql": [
        *sql.pg_drop_table_triggers(TABLE),
        "DROP TRIGGER IF EXISTS bookings_booking_busy_version_times ON bookings_booking",
        "DROP FUNCTION IF EXISTS slotwise_busy_version_booking_times()",
    ],
    "sqlite": [*sql.sqlite_drop_table_triggers(TABLE), "DROP TRIGGER IF EXISTS bookings_booking_busy_version_times"],
}


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0008_recurring_bookings"),
        ("scheduling", "0009_host_busy_version"),
    ]

    operations = [migrations.RunPython(sql.run(FORWARD), sql.run(BACKWARD))]
