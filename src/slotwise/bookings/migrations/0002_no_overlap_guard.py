"""The database refuses two active, overlapping blocks of one host: the guarantee against double booking.

PostgreSQL: EXCLUDE USING gist (host =, tstzrange(block) &&) WHERE active, with btree_gist for the `=`.
SQLite: BEFORE INSERT / UPDATE triggers that ABORT with 'slot_conflict'. Datetimes are stored as ISO text
in UTC with one format, so text comparison orders them as instants.
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """ALTER TABLE bookings_bookinghost ADD CONSTRAINT bookinghost_no_overlap
       EXCLUDE USING gist (membership_id WITH =, tstzrange(block_start, block_end, '[)') WITH &&)
       WHERE (active)""",
]
PG_BACKWARD = ["ALTER TABLE bookings_bookinghost DROP CONSTRAINT IF EXISTS bookinghost_no_overlap"]

_OVERLAP = """EXISTS (SELECT 1 FROM bookings_bookinghost b
    WHERE b.membership_id = NEW.membership_id AND b.active AND b.id IS NOT NEW.id
      AND b.block_start < NEW.block_end AND NEW.block_start < b.block_end)"""
SQLITE_FORWARD = [
    f"""CREATE TRIGGER bookinghost_no_overlap_insert BEFORE INSERT ON bookings_bookinghost
        WHEN NEW.active AND {_OVERLAP}
        BEGIN SELECT RAISE(ABORT, 'slot_conflict: host already has an active booking overlapping this time'); END""",
    f"""CREATE TRIGGER bookinghost_no_overlap_update
        BEFORE UPDATE OF active, block_start, block_end, membership_id ON bookings_bookinghost
        WHEN NEW.active AND {_OVERLAP}
        BEGIN SELECT RAISE(ABORT, 'slot_conflict: host already has an active booking overlapping this time'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS bookinghost_no_overlap_insert",
    "DROP TRIGGER IF EXISTS bookinghost_no_overlap_update",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
